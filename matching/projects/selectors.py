"""Reads for projects (who sees which, their cost split, how pilots ended), project funding
(budgets with their balance) and coordinators' caseload."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from matching.projects.models import (
    PILOT_CONCLUSIONS,
    PILOT_PHASE,
    PROJECT_LIVE,
    CoordinatorBudget,
    ProblemStatus,
    Project,
    ProjectContribution,
    ProjectProblem,
    ProjectStatusChange,
)
from partners.models import Membership
from portal.fiscal import fiscal_year_instants, fiscal_year_range
from portal.models import Role, User, Ward


def projects_for_user(user: User) -> QuerySet[Project]:
    """The projects ``user`` may open (matching.view_project, as a query): admins and
    evaluators all; other staff their ward's, ward-independent ones and those they coordinate;
    partners their organisation's."""
    qs = Project.objects.select_related("ward", "field", "coordinator")
    if user.role in {Role.ADMIN, Role.EVALUATOR}:
        return qs
    if user.role == Role.PARTNER:
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            return qs.none()
        return qs.filter(organizations=membership.organization_id).distinct()
    return qs.filter(Q(ward__isnull=True) | Q(ward_id=user.ward_id) | Q(coordinator=user))


def project_list(
    *, user: User, status: str = "", ward: Ward | None = None, query: str = ""
) -> QuerySet[Project]:
    qs = projects_for_user(user).annotate(
        open_problems=Count(
            "problems", filter=~Q(problems__status=ProblemStatus.RESOLVED), distinct=True
        )
    )
    if status:
        qs = qs.filter(status=status)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if query:
        qs = qs.filter(title__icontains=query)
    return qs.order_by("-start_date", "-pk")


def project_cost_rows(project: Project) -> list[dict[str, Any]]:
    """One row per party — the ward first, then each organisation of the project — with its
    contribution in yen (cash, in_kind, note); a party without a row shows zeros."""
    stored = {c.organization_id: c for c in ProjectContribution.objects.filter(project=project)}
    parties: list[tuple[int | None, Any]] = [(None, project.ward)]
    parties += [(org.pk, org) for org in project.organizations.order_by("name")]
    rows = []
    for key, party in parties:
        contribution = stored.get(key)
        rows.append(
            {
                "key": key,
                "party": party,
                "is_ward": key is None,
                "cash": contribution.cash if contribution else 0,
                "in_kind": contribution.in_kind if contribution else 0,
                "in_kind_note": contribution.in_kind_note if contribution else "",
            }
        )
    return rows


def pilot_conclusions(
    date_from: datetime.date, date_to: datetime.date, ward: Ward | None = None
) -> list[ProjectStatusChange]:
    """How pilots ended in a period: for each project, the first change that took it out of its
    pilot (実証 or 継続) into 本格導入, 終了 or 中止, when that change took effect from
    ``date_from`` to ``date_to`` (inclusive). A later reopening does not count the project again.
    """
    changes = (
        ProjectStatusChange.objects.filter(
            from_status__in=PILOT_PHASE, to_status__in=PILOT_CONCLUSIONS
        )
        .select_related("project", "project__ward")
        .order_by("project_id", "changed_on", "recorded_at", "pk")
    )
    if ward is not None:
        changes = changes.filter(project__ward=ward)
    first: dict[int, ProjectStatusChange] = {}
    for change in changes.filter(changed_on__lte=date_to):
        first.setdefault(change.project_id, change)
    return sorted(
        (c for c in first.values() if c.changed_on >= date_from),
        key=lambda c: (c.changed_on, c.project_id),
    )


def budgets_with_balance(*, user: User | None = None) -> QuerySet[CoordinatorBudget]:
    qs = (
        CoordinatorBudget.objects.select_related("coordinator")
        .annotate(granted=Coalesce(Sum("grants__amount"), 0))
        .annotate(remaining=F("amount") - F("granted"))
    )
    if user is not None:
        qs = qs.filter(coordinator=user)
    return qs


def _caseload_add(
    result: dict[int, dict[str, int]], user_id: int, key: str, row: Mapping[str, Any]
) -> None:
    figures = result.setdefault(user_id, {})
    figures[key] = row["active"]
    figures["active"] = figures.get("active", 0) + row["active"]
    figures["supported_year"] = figures.get("supported_year", 0) + row["year"]


def caseload_by_coordinator(user_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """Caseload provider for portal: issues, projects and project problems of each coordinator.

    Active = issues not yet resolved/withdrawn + projects not ended + problems not resolved;
    supported in the year = issues assigned that were open or worked on in the year + projects
    running in it + problems raised in it or still open at its start.
    """
    from issues.models import Issue, IssueStatus

    start, end = fiscal_year_range(fiscal_year)
    # Instants, not ``__date`` lookups: see portal.fiscal.fiscal_year_instants.
    from_instant, to_instant = fiscal_year_instants(fiscal_year)
    result: dict[int, dict[str, int]] = {}
    closed = [IssueStatus.RESOLVED, IssueStatus.WITHDRAWN]
    for row in (
        Issue.objects.filter(coordinator_id__in=user_ids)
        .values("coordinator_id")
        .annotate(
            active=Count("pk", filter=~Q(status__in=closed)),
            year=Count(
                "pk",
                filter=Q(created_at__lt=to_instant)
                & (Q(updated_at__gte=from_instant) | ~Q(status__in=closed)),
            ),
        )
    ):
        _caseload_add(result, row["coordinator_id"], "issues", row)
    live = list(PROJECT_LIVE)
    for project_row in (
        Project.objects.filter(coordinator_id__in=user_ids)
        .values("coordinator_id")
        .annotate(
            active=Count("pk", filter=Q(status__in=live)),
            year=Count(
                "pk",
                filter=Q(start_date__lte=end) & (Q(end_date__isnull=True) | Q(end_date__gte=start)),
            ),
        )
    ):
        _caseload_add(result, project_row["coordinator_id"], "projects", project_row)
    for problem_row in (
        ProjectProblem.objects.filter(assigned_to_id__in=user_ids)
        .values("assigned_to_id")
        .annotate(
            active=Count("pk", filter=~Q(status=ProblemStatus.RESOLVED)),
            year=Count(
                "pk",
                filter=Q(created_at__lt=to_instant)
                & (
                    Q(created_at__gte=from_instant)
                    | Q(resolved_at__isnull=True)
                    | Q(resolved_at__gte=from_instant)
                ),
            ),
        )
    ):
        _caseload_add(result, problem_row["assigned_to_id"], "problems", problem_row)
    return result
