"""Reads for the public pages: only published reports, published case studies and projects
that address a public issue (募集中・連携中・解決) or have a published case. No personal data,
no internal notes, no costs. Every function runs a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any, cast

from django.db.models import Count, Prefetch, Q, QuerySet

from evaluation.kpi import KPI_BY_CODE, kpi_compute
from evaluation.models import CaseStudy, ReportFile
from issues.models import PUBLIC_STATUSES, Issue
from matching.projects.models import Project
from partners.models import Organization, OrgStatus

# The KPI whose published figure is recomputed from the publications themselves: a report's
# snapshot is taken when it is built, before it is published, so it says 0 for itself.
REPORTS_PUBLISHED = "reports_published"


def cases_public() -> QuerySet[CaseStudy]:
    return (
        CaseStudy.objects.filter(published=True)
        .select_related("project__ward", "project__field")
        .annotate(reuse_count=Count("reuses"))
        .order_by("-reuse_count", "-updated_at")
    )


def published_reports() -> QuerySet[ReportFile]:
    """Built and published report files (PDF and CSV, annual and quarterly), newest 年度 first."""
    return (
        ReportFile.objects.filter(published_at__isnull=False, status=ReportFile.Status.DONE)
        .exclude(file="")
        .select_related("ward")
        .order_by("-fiscal_year", "quarter", "ward__code", "format", "-published_at")
    )


def published_years() -> list[dict[str, Any]]:
    """One entry per 年度 with a published report, newest first:

    {"fiscal_year", "files": [ReportFile…] (every published file of that 年度),
     "report": the latest published annual all-ward report or None,
     "rows": its KPI snapshot, labels in the active language, with 評価報告書の公表数 counted
     from the publications (kpi reports_published) rather than the snapshot}.
    Queries: one for the files, one per 年度 with an annual report for the count.
    """
    files_by_year: dict[int, list[ReportFile]] = defaultdict(list)
    for file in published_reports():
        files_by_year[file.fiscal_year].append(file)
    years = []
    for fiscal_year in sorted(files_by_year, reverse=True):
        files = files_by_year[fiscal_year]
        annual = [f for f in files if f.quarter is None and f.ward_id is None]
        report = max(annual, key=_published_at, default=None)
        years.append(
            {
                "fiscal_year": fiscal_year,
                "files": files,
                "report": report,
                "rows": _public_rows(report) if report else [],
            }
        )
    return years


def _published_at(report: ReportFile) -> datetime.datetime:
    # published_reports() holds published files only: the date is never None here.
    return cast(datetime.datetime, report.published_at)


def _public_rows(report: ReportFile) -> list[dict[str, Any]]:
    rows = []
    for row in report.figures:
        spec = KPI_BY_CODE.get(row.get("code", ""))
        shown = dict(row)
        if spec is not None:
            shown["indicator"], shown["unit"] = spec.label, spec.unit
        if row.get("code") == REPORTS_PUBLISHED:
            shown["value"] = kpi_compute(REPORTS_PUBLISHED, report.fiscal_year).value
            shown["live"] = True
        rows.append(shown)
    return rows


def public_projects() -> QuerySet[Project]:
    """Projects the public may see: addressing a public issue or with a published case."""
    return Project.objects.filter(
        Q(issues__status__in=PUBLIC_STATUSES) | Q(cases__published=True)
    ).distinct()


def _with_public_parts(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Ward, field, approved partner organisations (names) and published cases, prefetched."""
    return qs.select_related("ward", "field").prefetch_related(
        Prefetch(
            "organizations",
            queryset=Organization.objects.filter(status=OrgStatus.APPROVED).only("pk", "name"),
            to_attr="public_organizations",
        ),
        Prefetch(
            "cases",
            queryset=CaseStudy.objects.filter(published=True)
            .annotate(reuse_count=Count("reuses"))
            .order_by("-updated_at"),
            to_attr="public_cases",
        ),
    )


def issue_projects(issue: Issue) -> dict[str, Any] | None:
    """The public issue page's section: the issue's projects with their published results, or
    None when no project addresses it yet. Three queries whatever the number of projects."""
    projects = list(
        _with_public_parts(Project.objects.filter(issues=issue)).order_by("-start_date")
    )
    if not projects:
        return None
    return {"projects": projects}


def public_project(pk: int) -> Project:
    """One public project with its public issues (募集中・連携中・解決 only), organisations and
    published cases. Raises Project.DoesNotExist for a project the public may not see."""
    return (
        _with_public_parts(Project.objects.filter(pk__in=public_projects().values("pk")))
        .prefetch_related(
            Prefetch(
                "issues",
                queryset=Issue.objects.filter(status__in=PUBLIC_STATUSES)
                .select_related("ward", "field")
                .only("pk", "title", "status", "ward__code", "ward__name_ja", "field__name"),
                to_attr="public_issues",
            )
        )
        .get(pk=pk)
    )


def home_results(*, limit: int = 3) -> dict[str, Any]:
    """The home page's card: the latest published annual reports and published cases."""
    reports = list(
        published_reports()
        .filter(quarter__isnull=True, ward__isnull=True)
        .order_by("-published_at")[:limit]
    )
    cases = list(
        CaseStudy.objects.filter(published=True)
        .select_related("project")
        .only("pk", "title", "kind", "project__title")
        .order_by("-updated_at")[:limit]
    )
    return {"reports": reports, "cases": cases}
