"""KPIs of Pillar 1 (支援策①): the issue database and the matching platform.

Each ``kpi_<code>(fiscal_year, ward, *, period)`` returns a dict (value, records, numerator,
denominator, note, ward_scoped) that evaluation.kpi turns into a KpiResult.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth

from evaluation.models import (
    SatisfactionSurvey,
)
from issues.models import Issue, IssueStatus
from matching.events.selectors import events_held
from matching.models import Proposal
from partners.models import Organization, OrgStatus
from portal.fiscal import datetime_range, fiscal_year_range, months_in
from portal.models import DailyActivity, HealthCheck, Ward

if TYPE_CHECKING:
    pass
from evaluation.kpi.base import (
    TWO_DECIMALS,
    elapsed_end,
    pct,
    projects_in_scope,
    ratio,
)


def kpi_collaborations_created(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Collaborations created = projects whose start_date falls in the 年度 (cancelled included)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = projects_in_scope(ward).filter(start_date__range=(date_from, date_to))
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_match_success_rate(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Match success rate = proposals created in the 年度 that were accepted ÷ proposals created
    in the 年度 that got an answer or expired (accepted + declined + expired + rejected), in %.
    Both sides' proposals count: the ward's (the partner accepts or declines) and a partner's
    own (逆プロポ: the ward accepts or turns it down, 見送り). Proposals still waiting for an
    answer are not counted."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    answered = Proposal.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        status__in=[
            Proposal.Status.ACCEPTED,
            Proposal.Status.DECLINED,
            Proposal.Status.EXPIRED,
            Proposal.Status.REJECTED,
        ],
    )
    if ward:
        answered = answered.filter(issue__ward=ward)
    counts = answered.aggregate(
        total=Count("id"), accepted=Count("id", filter=Q(status=Proposal.Status.ACCEPTED))
    )
    return {
        "value": pct(counts["accepted"], counts["total"]),
        "records": answered.select_related("issue", "organization"),
        "numerator": counts["accepted"],
        "denominator": counts["total"],
    }


def kpi_registered_organisations(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """Registered organisations = approved organisations registered on or before the last day of
    the 年度 (a ward filter uses the organisation's own ward)."""
    _date_from, date_to = period or fiscal_year_range(fiscal_year)
    _start, end = datetime_range(date_to, date_to)
    records = Organization.objects.filter(status=OrgStatus.APPROVED, created_at__lt=end)
    if ward:
        records = records.filter(ward=ward)
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_issues_in_database(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Issues in the database = issues registered on or before the last day of the 年度,
    excluding drafts and withdrawn issues."""
    _date_from, date_to = period or fiscal_year_range(fiscal_year)
    _start, end = datetime_range(date_to, date_to)
    records = Issue.objects.filter(created_at__lt=end).exclude(
        status__in=[IssueStatus.DRAFT, IssueStatus.WITHDRAWN]
    )
    if ward:
        records = records.filter(ward=ward)
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_monthly_active_users(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Monthly active users = mean, over the months of the 年度 that have begun, of the number of
    distinct users active in the month (portal.DailyActivity). A ward filter counts the users
    whose own ward is that ward."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    date_to = elapsed_end(date_to)
    if date_to < date_from:
        return {"value": None, "records": []}
    activity = DailyActivity.objects.filter(day__range=(date_from, date_to))
    if ward:
        activity = activity.filter(user__ward=ward)
    per_month = list(
        activity.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(users=Count("user", distinct=True))
        .order_by("month")
    )
    if not per_month:
        return {"value": None, "records": []}
    months = len(months_in(date_from, date_to))
    total = sum(row["users"] for row in per_month)
    records = [{"label": f"{row['month']:%Y-%m}", "value": row["users"]} for row in per_month]
    return {
        "value": ratio(total, months),
        "records": records,
        "numerator": total,
        "denominator": months,
    }


def kpi_user_satisfaction(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """User satisfaction = mean score (1–5) of the platform satisfaction responses (those not tied
    to one project) answered in the 年度, from residents, partners and staff alike."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = SatisfactionSurvey.objects.filter(
        project__isnull=True, answered_on__range=(date_from, date_to)
    )
    agg = records.aggregate(avg=Avg("score"), n=Count("id"))
    value = (
        None
        if agg["avg"] is None
        else Decimal(str(agg["avg"])).quantize(TWO_DECIMALS, ROUND_HALF_UP)
    )
    return {"value": value, "records": records, "denominator": agg["n"], "ward_scoped": False}


def kpi_events_per_month(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Matching events per month = events held in the 年度 (matching.events.selectors.events_held:
    not cancelled, starting in it) ÷ the number of months of the 年度 that have begun."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    elapsed = elapsed_end(date_to)
    if elapsed < date_from:
        return {"value": None, "records": [], "ward_scoped": False}
    records = events_held(date_from, date_to)
    count = records.count()
    months = len(months_in(date_from, elapsed))
    return {
        "value": ratio(count, months),
        "records": records,
        "numerator": count,
        "denominator": months,
        "ward_scoped": False,
    }


def kpi_platform_availability(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Platform availability = share (%) of the portal's own health probes (portal.HealthCheck)
    in the 年度 in which database, broker and worker were all up."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    checks = HealthCheck.objects.filter(at__gte=start, at__lt=end)
    agg = checks.aggregate(
        total=Count("id"),
        ok=Count("id", filter=Q(database_ok=True, broker_ok=True, worker_ok=True)),
    )
    return {
        "value": pct(agg["ok"], agg["total"]),
        "records": checks.filter(Q(database_ok=False) | Q(broker_ok=False) | Q(worker_ok=False)),
        "numerator": agg["ok"],
        "denominator": agg["total"],
        "ward_scoped": False,
    }
