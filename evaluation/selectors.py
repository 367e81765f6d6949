"""Cross-model reads owned by evaluation (KPIs themselves are in evaluation/kpi.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from evaluation.models import (
    CaseStudy,
    Continuation,
    ImprovementAction,
    Measurement,
    PaymentSchedule,
    ProjectIndicator,
    Review,
)
from issues.models import Issue, IssueStatus
from matching.projects.models import Project
from portal.fiscal import fiscal_year_range
from portal.models import Field, Role, User, Ward

ONE_DECIMAL = Decimal("0.1")


def user_organization_id(user: User) -> int | None:
    membership = getattr(user, "membership", None)
    return membership.organization_id if membership else None


def projects_visible_to(user: User) -> QuerySet[Project]:
    """Staff see every project; a partner only the projects of their own organisation."""
    qs = Project.objects.select_related("ward", "field", "coordinator")
    if user.role == Role.PARTNER:
        org_id = user_organization_id(user)
        if org_id is None:
            return qs.none()
        return qs.filter(organizations__id=org_id).distinct()
    return qs


def project_for_user(*, user: User, pk: int) -> Project:
    project = projects_visible_to(user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def project_list(*, user: User, fiscal_year: int | None = None, ward: Ward | None = None):
    qs = projects_visible_to(user).annotate(
        indicator_count=Count("indicators", distinct=True),
        review_avg=Avg("reviews__score"),
    )
    if fiscal_year:
        date_from, date_to = fiscal_year_range(fiscal_year)
        qs = qs.filter(start_date__lte=date_to).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=date_from)
        )
    if ward:
        qs = qs.filter(ward=ward)
    return qs.order_by("-start_date", "pk")


def project_indicators(*, project: Project) -> list[ProjectIndicator]:
    return list(
        ProjectIndicator.objects.filter(project=project).prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("measured_on", "id"))
        )
    )


def indicator_chart_data(indicators: list[ProjectIndicator]) -> list[dict]:
    """JSON-ready series for Chart.js (quantitative indicators only)."""
    data = []
    for indicator in indicators:
        points = [m for m in indicator.measurements.all() if m.value is not None]
        if indicator.kind != "quantitative" or not points:
            continue
        data.append(
            {
                "id": indicator.pk,
                "label": f"{indicator.name}（{indicator.unit}）"
                if indicator.unit
                else indicator.name,
                "labels": [m.measured_on.isoformat() for m in points],
                "values": [float(cast(Decimal, m.value)) for m in points],  # None filtered out
                "target": float(indicator.target) if indicator.target is not None else None,
            }
        )
    return data


@dataclass
class PaymentStatus:
    line: PaymentSchedule
    state: str  # achieved / not_achieved / pending / no_data
    measured: Measurement | None

    @property
    def due_amount(self) -> int:
        return self.line.amount if self.state == "achieved" else 0


def payment_statuses(
    *, project: Project, today: datetime.date | None = None
) -> list[PaymentStatus]:
    """What is due: the latest measurement on or before the verification date decides.

    achieved: it meets the threshold (≥, or ≤ for smaller-is-better indicators) → the amount is due;
    not_achieved: the verification date has passed and it does not; pending: the date has not
    come yet and the threshold is not met so far; no_data: nothing measured by the date.
    """
    return _line_statuses(PaymentSchedule.objects.filter(project=project), today)


def _line_statuses(lines_qs, today: datetime.date | None) -> list[PaymentStatus]:
    """Statuses of payment lines (see payment_statuses) in two queries, whatever their number."""
    today = today or timezone.localdate()
    lines = list(lines_qs.select_related("indicator").order_by("verification_date", "pk"))
    measurements: dict[int, list[Measurement]] = {}
    for m in Measurement.objects.filter(
        indicator_id__in={line.indicator_id for line in lines}, value__isnull=False
    ).order_by("measured_on", "id"):
        measurements.setdefault(m.indicator_id, []).append(m)
    statuses = []
    for line in lines:
        upto = min(line.verification_date, today)
        candidates = [m for m in measurements.get(line.indicator_id, []) if m.measured_on <= upto]
        latest = candidates[-1] if candidates else None
        if latest is None:
            state = "pending" if line.verification_date > today else "no_data"
        else:
            assert latest.value is not None  # measurements were fetched with value__isnull=False
            meets = (
                latest.value >= line.threshold
                if line.indicator.higher_is_better
                else latest.value <= line.threshold
            )
            if meets and line.verification_date <= today:
                state = "achieved"
            elif line.verification_date > today:
                state = "pending"
            else:
                state = "not_achieved"
        statuses.append(PaymentStatus(line=line, state=state, measured=latest))
    return statuses


def payments_due_total(*, fiscal_year: int, ward: Ward | None = None) -> dict:
    """Outcome-based payments whose verification date falls in the 年度: scheduled vs due."""
    date_from, date_to = fiscal_year_range(fiscal_year)
    # Each line's status depends on its own indicator only, so the lines of the 年度 are judged
    # together rather than project by project (two queries per project before).
    lines = PaymentSchedule.objects.filter(verification_date__range=(date_from, date_to))
    if ward:
        lines = lines.filter(project__ward=ward)
    statuses = _line_statuses(lines, None)
    return {
        "lines": len(statuses),
        "scheduled": sum(status.line.amount for status in statuses),
        "due": sum(status.due_amount for status in statuses),
    }


def continuation_due(
    *, today: datetime.date | None = None, ward: Ward | None = None, within_days: int = 60
) -> list[dict]:
    """Projects whose 1- or 2-year continuation is due (within `within_days`) or overdue and not
    recorded yet (cancelled projects are skipped)."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=within_days)
    candidates = (
        Project.objects.exclude(status=Project.Status.CANCELLED)
        .filter(start_date__lte=horizon - datetime.timedelta(days=364))
        .select_related("ward", "coordinator")
        .prefetch_related(
            Prefetch("continuations", queryset=Continuation.objects.only("project_id", "years"))
        )
        .order_by("start_date", "pk")
    )
    if ward:
        candidates = candidates.filter(ward=ward)
    from evaluation.services import continuation_due_date

    due = []
    for project in candidates:
        recorded = {c.years for c in project.continuations.all()}
        for years in (1, 2):
            if years in recorded:
                continue
            when = continuation_due_date(project=project, years=years)
            if when <= horizon:
                due.append(
                    {"project": project, "years": years, "due": when, "overdue": when < today}
                )
                break  # remind the earliest missing checkpoint only
    return due


def gap_by_field(*, fiscal_year: int | None = None, ward: Ward | None = None) -> list[dict]:
    """Need vs coverage per field: share of issues vs share of projects, in %.

    Issues: registered (not draft / withdrawn) by the end of the 年度. Projects: active in the 年度
    (or all, when no 年度 is given). gap = need − coverage (positive = under-served).
    """
    issues = Issue.objects.exclude(status__in=[IssueStatus.DRAFT, IssueStatus.WITHDRAWN])
    projects = Project.objects.exclude(status=Project.Status.CANCELLED).filter(field__isnull=False)
    if fiscal_year:
        from portal.fiscal import datetime_range

        date_from, date_to = fiscal_year_range(fiscal_year)
        _start, end = datetime_range(date_to, date_to)
        issues = issues.filter(created_at__lt=end)
        projects = projects.filter(start_date__lte=date_to).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=date_from)
        )
    if ward:
        issues = issues.filter(ward=ward)
        projects = projects.filter(ward=ward)
    issue_counts = dict(issues.values_list("field_id").annotate(n=Count("id")))
    project_counts = dict(projects.values_list("field_id").annotate(n=Count("id")))
    issue_total = sum(issue_counts.values())
    project_total = sum(project_counts.values())
    rows = []
    for field in Field.objects.all():
        issues_n = issue_counts.get(field.pk, 0)
        projects_n = project_counts.get(field.pk, 0)
        if not issues_n and not projects_n:
            continue
        need = _share(issues_n, issue_total)
        coverage = _share(projects_n, project_total)
        rows.append(
            {
                "field": field,
                "issues": issues_n,
                "projects": projects_n,
                "need": need,
                "coverage": coverage,
                "gap": need - coverage,
            }
        )
    rows.sort(key=lambda row: row["gap"], reverse=True)
    return rows


def _share(part: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.0")
    return (Decimal(part) * 100 / total).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def reviews_for(*, fiscal_year: int, ward: Ward | None = None) -> QuerySet[Review]:
    qs = Review.objects.filter(fiscal_year=fiscal_year).select_related("project", "member")
    return qs.filter(project__ward=ward) if ward else qs


def committee_scores_by_project(*, fiscal_year: int, ward: Ward | None = None) -> list[dict]:
    qs = Review.objects.filter(fiscal_year=fiscal_year)
    if ward:
        qs = qs.filter(project__ward=ward)
    return cast(
        "list[dict]",
        list(
            qs.values("project_id", "project__title")
            .annotate(avg=Avg("score"), n=Count("id"))
            .order_by("-avg", "project__title")
        ),
    )


def actions_for(*, fiscal_year: int | None = None, status: str | None = None):
    qs = ImprovementAction.objects.select_related("review__project", "review__member")
    if fiscal_year:
        qs = qs.filter(review__fiscal_year=fiscal_year)
    if status:
        qs = qs.filter(status=status)
    return qs


def cases_for(*, user: User) -> QuerySet[CaseStudy]:
    qs = CaseStudy.objects.select_related("project__ward", "project__field").annotate(
        reuse_count=Count("reuses")
    )
    if user.role == Role.PARTNER:
        return qs.filter(project__in=projects_visible_to(user)).order_by("-updated_at")
    return qs.order_by("-updated_at")
