"""KPIs of Pillar 1 (支援策①): the issue database and the matching platform.

Each ``kpi_<code>(fiscal_year, ward, *, period)`` returns a dict (value, records, numerator,
denominator, note, ward_scoped) that evaluation.kpi turns into a KpiResult.
"""

from __future__ import annotations

import datetime
import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evaluation.kpi.base import (
    ONE_DECIMAL,
    TWO_DECIMALS,
    elapsed_end,
    pct,
    projects_in_scope,
    ratio,
)
from evaluation.models import SatisfactionSurvey
from issues.models import Issue, IssueStatus
from matching.events.selectors import events_held
from matching.models import Proposal
from matching.projects.models import Project
from partners.models import Organization, OrgStatus
from portal.fiscal import datetime_range, fiscal_year_range, months_in
from portal.models import DailyActivity, HealthCheck, Ward


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


def _status_at(model, end: datetime.datetime) -> Coalesce:
    """A record's status at ``end``: the latest change in its history before then; for a record
    whose history starts later (rows written around the history: imports, fixes, back-dated
    registrations), the first status its history knows, else its current one."""
    history = model.history.model.objects.filter(id=OuterRef("pk"))
    before = history.filter(history_date__lt=end).order_by("-history_date", "-history_id")
    earliest = history.order_by("history_date", "history_id")
    return Coalesce(
        Subquery(before.values("status")[:1]), Subquery(earliest.values("status")[:1]), F("status")
    )


def kpi_registered_organisations(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """Registered organisations = organisations registered before the end of the period whose
    status at that moment (their history) was 承認済み (a ward filter uses the organisation's own
    ward). A stock: an organisation suspended after the year end still counts for that year."""
    _date_from, date_to = period or fiscal_year_range(fiscal_year)
    _start, end = datetime_range(date_to, date_to)
    records = Organization.objects.filter(created_at__lt=end).alias(
        status_then=_status_at(Organization, end)
    )
    records = records.filter(status_then=OrgStatus.APPROVED)
    if ward:
        records = records.filter(ward=ward)
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_issues_in_database(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Issues in the database = issues registered before the end of the period whose status at
    that moment (their history) was neither 下書き nor 取下げ. A stock, as kpi_registered_organisations."""
    _date_from, date_to = period or fiscal_year_range(fiscal_year)
    _start, end = datetime_range(date_to, date_to)
    records = (
        Issue.objects.filter(created_at__lt=end)
        .alias(status_then=_status_at(Issue, end))
        .exclude(status_then__in=[IssueStatus.DRAFT, IssueStatus.WITHDRAWN])
    )
    if ward:
        records = records.filter(ward=ward)
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_monthly_active_users(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Monthly active users = distinct users active (portal.DailyActivity, one row per user and
    Tokyo day of signed-in use) in the period's last month; while the period runs, in its last
    month that has ended (the month so far while none has). A whole number of people: never a
    mean of months. A ward filter counts staff of that ward and members of its organisations."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    today = timezone.localdate()
    if today < date_from:
        return {"value": None, "records": []}
    activity = DailyActivity.objects.filter(day__range=(date_from, min(date_to, today)))
    if ward:
        activity = activity.filter(
            Q(user__ward=ward) | Q(user__membership__organization__ward=ward)
        )
    per_month = {
        row["month"]: row["users"]
        for row in activity.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(users=Count("user", distinct=True))
    }
    if not per_month:
        return {"value": None, "records": []}
    months = months_in(date_from, min(date_to, today))
    ended = [m for m in months if (m + datetime.timedelta(days=32)).replace(day=1) <= today]
    measured = ended[-1] if ended else months[-1]
    users = per_month.get(measured, 0)
    return {
        "value": Decimal(users),
        "records": [{"label": f"{m:%Y-%m}", "value": per_month.get(m, 0)} for m in months],
        "numerator": users,
        "note": _("%(month)s の人数") % {"month": f"{measured:%Y-%m}"}
        + ("" if ended else _("（月の途中）")),
    }


def kpi_user_satisfaction(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """User satisfaction = mean score (1–5) of the platform satisfaction responses (those not tied
    to one project) answered in the 年度, from residents, partners and staff alike: the answers to
    platform questionnaires' satisfaction question and paper responses typed in. A ward filter
    counts questionnaire answers counted under that ward (paper responses have none)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = SatisfactionSurvey.objects.filter(
        project__isnull=True, answered_on__range=(date_from, date_to)
    )
    if ward:
        records = records.filter(response__ward=ward)
    agg = records.aggregate(avg=Avg("score"), n=Count("id"))
    value = (
        None
        if agg["avg"] is None
        else Decimal(str(agg["avg"])).quantize(TWO_DECIMALS, ROUND_HALF_UP)
    )
    return {"value": value, "records": records, "denominator": agg["n"]}


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


def _median(days: list[int]) -> Decimal:
    return Decimal(str(statistics.median(days))).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _lead_times(rows: list[tuple[int, str, str | None, datetime.datetime]], ward) -> dict:
    """The median of days from an issue's first 募集中 (its history) to ``moment`` of each row
    (issue id, ref, ward name, moment), in Tokyo days. Issues never 募集中 before the moment are
    left out; with no ward, the records are the median of each ward."""
    opened = dict(
        Issue.history.model.objects.filter(status=IssueStatus.OPEN, id__in=[row[0] for row in rows])
        .values_list("id")
        .annotate(first=Min("history_date"))
    )
    per_issue = []
    for issue_id, ref, ward_name, moment in rows:
        start = opened.get(issue_id)
        if start is None or moment < start:
            continue
        days = (timezone.localtime(moment).date() - timezone.localtime(start).date()).days
        per_issue.append((ref, ward_name or str(_("区を問わない課題")), days))
    if not per_issue:
        return {"value": None, "records": []}
    if ward:
        records = [{"label": ref, "value": days} for ref, _name, days in sorted(per_issue)]
    else:
        by_ward: dict[str, list[int]] = {}
        for _ref, name, days in per_issue:
            by_ward.setdefault(name, []).append(days)
        records = [
            {
                "label": ngettext("%(ward)s（%(n)d件）", "%(ward)s（%(n)d件）", len(days))
                % {"ward": name, "n": len(days)},
                "value": _median(days),
            }
            for name, days in sorted(by_ward.items())
        ]
    return {
        "value": _median([days for _ref, _name, days in per_issue]),
        "records": records,
        "denominator": len(per_issue),
    }


def kpi_lead_time_first_proposal(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """Matching lead time to the first proposal = median days from an issue's first 募集中 to
    its first proposal, over issues whose first proposal was sent in the period (the issue's
    ward); records: the median of each ward (all wards) or each issue's days (one ward)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    proposals = Proposal.objects.all()
    if ward:
        proposals = proposals.filter(issue__ward=ward)
    rows = (
        proposals.values("issue_id", "issue__ref", "issue__ward__name_ja")
        .annotate(first=Min("created_at"))
        .filter(first__gte=start, first__lt=end)
        .values_list("issue_id", "issue__ref", "issue__ward__name_ja", "first")
    )
    return _lead_times(list(rows), ward)


def kpi_lead_time_project(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Matching lead time to the project = median days from an issue's first 募集中 to the
    decision of its first project (the proposal's acceptance; a project entered directly: its
    registration), over issues whose first project was decided in the period."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    projects = Project.objects.filter(issues__isnull=False)
    if ward:
        projects = projects.filter(issues__ward=ward)
    rows = (
        projects.annotate(decided=Coalesce("proposal__responded_at", "created_at"))
        .values("issues__id", "issues__ref", "issues__ward__name_ja")
        .annotate(first=Min("decided"))
        .filter(first__gte=start, first__lt=end)
        .values_list("issues__id", "issues__ref", "issues__ward__name_ja", "first")
    )
    return _lead_times(list(rows), ward)
