"""Reads for project funding (budgets with their balance) and coordinators' caseload."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from matching.projects.models import CoordinatorBudget, Project
from portal.fiscal import fiscal_year_instants, fiscal_year_range
from portal.models import User


def budgets_with_balance(*, user: User | None = None) -> QuerySet[CoordinatorBudget]:
    qs = (
        CoordinatorBudget.objects.select_related("coordinator")
        .annotate(granted=Coalesce(Sum("grants__amount"), 0))
        .annotate(remaining=F("amount") - F("granted"))
    )
    if user is not None:
        qs = qs.filter(coordinator=user)
    return qs


def caseload_by_coordinator(user_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """Caseload provider for portal: issues and projects assigned to each coordinator.

    Active = issues not yet resolved/withdrawn + projects preparing or running; supported in the
    year = issues assigned that were open or worked on in the year + projects running in it.
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
        figures = result.setdefault(row["coordinator_id"], {})
        figures["issues"] = row["active"]
        figures["active"] = figures.get("active", 0) + row["active"]
        figures["supported_year"] = figures.get("supported_year", 0) + row["year"]
    live = [Project.Status.PREPARING, Project.Status.RUNNING]
    for row in (
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
        figures = result.setdefault(row["coordinator_id"], {})
        figures["projects"] = row["active"]
        figures["active"] = figures.get("active", 0) + row["active"]
        figures["supported_year"] = figures.get("supported_year", 0) + row["year"]
    return result
