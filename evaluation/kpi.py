"""The KPIs of DESIGN.md, computed from the portal's own records for a 年度 (and optionally a ward).

Each ``kpi_<code>(fiscal_year, ward)`` returns a :class:`KpiResult` with the value, the target and
the seed baseline, the unit, and the records it counts (a lazy queryset or a list), so every
figure on the dashboard links to what it is made of. ``value is None`` means 「データなし」:
the source has no records (or does not exist yet) — never a made-up number.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.models import (
    CaseReuse,
    Continuation,
    ImprovementAction,
    Measurement,
    ReportFile,
    Review,
    SatisfactionSurvey,
)
from issues.models import Issue, IssueStatus
from matching.events.selectors import events_held
from matching.models import Proposal
from matching.projects.models import Project
from partners.models import Organization, OrgStatus
from portal import selectors as portal_selectors
from portal.fiscal import datetime_range, fiscal_year_range, months_in, period_range
from portal.models import DailyActivity, HealthCheck, Role, Ward

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")


@dataclass
class KpiResult:
    code: str
    label: str
    pillar: int
    unit: str
    target: Decimal | None
    baseline: Decimal | None
    value: Decimal | None = None
    records: Any = field(default_factory=list)
    numerator: Decimal | int | None = None
    denominator: int | None = None
    note: str = ""
    ward_scoped: bool = True
    target_label: str = ""

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target

    @property
    def progress(self) -> int:
        """Value as a share of the target (0–100) for bars."""
        if self.value is None or not self.target:
            return 0
        return int(min(Decimal(100), self.value * 100 / self.target))

    def as_row(self, fiscal_year: int) -> dict[str, Any]:
        return {
            "fiscal_year": fiscal_year,
            "code": self.code,
            "indicator": str(self.label),
            "value": None if self.value is None else str(self.value),
            "target": None if self.target is None else str(self.target),
            "baseline": None if self.baseline is None else str(self.baseline),
            "unit": str(self.unit),
        }


def _pct(numerator: int | Decimal, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _ratio(numerator: int | Decimal, denominator: int | Decimal, places: Decimal = ONE_DECIMAL):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, ROUND_HALF_UP)


def _elapsed_end(date_to: datetime.date) -> datetime.date:
    """The end of the period, or today if the period is still running."""
    return min(date_to, timezone.localdate())


def _projects(ward: Ward | None):
    qs = Project.objects.all()
    return qs.filter(ward=ward) if ward else qs


_memo: ContextVar[dict | None] = ContextVar("kpi_memo", default=None)


@contextmanager
def kpi_memo() -> Iterator[None]:
    """Within the block, figures fetched from other apps are fetched once per 年度."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _coordination(fiscal_year: int) -> dict[str, Any] | None:
    memo = _memo.get()
    if memo is None:
        return _coordination_fetch(fiscal_year)
    key = ("coordination", fiscal_year)
    if key not in memo:
        memo[key] = _coordination_fetch(fiscal_year)
    return memo[key]


def _coordination_fetch(fiscal_year: int) -> dict[str, Any]:
    """Figures of the coordinator system (portal); a missing figure is 「データなし」."""
    return dict(portal_selectors.coordination_figures(fiscal_year=fiscal_year) or {})


def _figure(figures: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if figures and figures.get(key) is not None:
            return figures[key]
    return None


# ---------------------------------------------------------------- pillar 1


def kpi_collaborations_created(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Collaborations created = projects whose start_date falls in the 年度 (cancelled included)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = _projects(ward).filter(start_date__range=(date_from, date_to))
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_match_success_rate(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Match success rate = proposals created in the 年度 that were accepted ÷ proposals created
    in the 年度 that got an answer or expired (accepted + declined + expired), in %.
    Proposals still waiting for an answer are not counted."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    answered = Proposal.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        status__in=[Proposal.Status.ACCEPTED, Proposal.Status.DECLINED, Proposal.Status.EXPIRED],
    )
    if ward:
        answered = answered.filter(issue__ward=ward)
    counts = answered.aggregate(
        total=Count("id"), accepted=Count("id", filter=Q(status=Proposal.Status.ACCEPTED))
    )
    return {
        "value": _pct(counts["accepted"], counts["total"]),
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
    date_to = _elapsed_end(date_to)
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
        "value": _ratio(total, months),
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
    elapsed = _elapsed_end(date_to)
    if elapsed < date_from:
        return {"value": None, "records": [], "ward_scoped": False}
    records = events_held(date_from, date_to)
    count = records.count()
    months = len(months_in(date_from, elapsed))
    return {
        "value": _ratio(count, months),
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
        "value": _pct(agg["ok"], agg["total"]),
        "records": checks.filter(Q(database_ok=False) | Q(broker_ok=False) | Q(worker_ok=False)),
        "numerator": agg["ok"],
        "denominator": agg["total"],
        "ward_scoped": False,
    }


# ---------------------------------------------------------------- pillar 2


def kpi_coordinator_success_rate(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """Coordinator-supported project success rate = projects with a coordinator that ended in the
    年度 (end_date in the 年度, status 完了 or 中止) and were completed (完了) ÷ all of them, in %."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = _projects(ward).filter(
        coordinator__isnull=False,
        end_date__range=(date_from, date_to),
        status__in=[Project.Status.COMPLETED, Project.Status.CANCELLED],
    )
    agg = records.aggregate(
        total=Count("id"), ok=Count("id", filter=Q(status=Project.Status.COMPLETED))
    )
    return {
        "value": _pct(agg["ok"], agg["total"]),
        "records": records,
        "numerator": agg["ok"],
        "denominator": agg["total"],
    }


def _coordinators_count(fiscal_year: int, ward: Ward | None) -> tuple[int, Any, bool]:
    figures = _coordination(fiscal_year)
    value = _figure(figures, "coordinators", "coordinator_count", "active_coordinators")
    if value is not None and ward is None:
        return int(value), [], True
    users = get_user_model().objects.filter(role=Role.COORDINATOR, is_active=True)
    if ward:
        users = users.filter(ward=ward)
    return users.count(), users, False


def kpi_coordinators(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Coordinators across the 23 wards = active coordinators (portal's coordination figures when
    available, otherwise active user accounts with the coordinator role)."""
    count, records, _from_portal = _coordinators_count(fiscal_year, ward)
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_cases_per_coordinator(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Supported cases per coordinator = portal's coordination figure (supported cases per active
    coordinator) when it exists; otherwise projects started in the 年度 that have a coordinator ÷
    the number of coordinators (previous KPI)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = _projects(ward).filter(
        coordinator__isnull=False, start_date__range=(date_from, date_to)
    )
    cases = records.count()
    coordinators, _records, _from_portal = _coordinators_count(fiscal_year, ward)
    portal_value = _figure(_coordination(fiscal_year), "supported_cases_per_coordinator")
    if portal_value is not None and ward is None and not period:
        return {
            "value": Decimal(str(portal_value)).quantize(ONE_DECIMAL, ROUND_HALF_UP),
            "records": records,
            "note": _("コーディネーター支援の記録（portal）による値です"),
        }
    return {
        "value": _ratio(cases, coordinators),
        "records": records,
        "numerator": cases,
        "denominator": coordinators,
    }


def _continuation(fiscal_year: int, ward: Ward | None, years: int) -> dict:
    date_from, date_to = fiscal_year_range(fiscal_year - years)
    records = Continuation.objects.filter(
        years=years, project__start_date__range=(date_from, date_to)
    ).select_related("project")
    if ward:
        records = records.filter(project__ward=ward)
    agg = records.aggregate(
        total=Count("id"),
        ok=Count(
            "id",
            filter=Q(state__in=[Continuation.State.CONTINUED, Continuation.State.DEVELOPED]),
        ),
    )
    return {
        "value": _pct(agg["ok"], agg["total"]),
        "records": records,
        "numerator": agg["ok"],
        "denominator": agg["total"],
    }


def kpi_continuation_1y(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Projects still running 1 year after start = projects started in the previous 年度 (FY−1)
    whose 1-year continuation record is 継続 or 発展 ÷ those with a 1-year record, in %."""
    return _continuation(fiscal_year, ward, 1)


def _coordination_kpi(keys: tuple[str, ...], note: StrOrPromise, *, share: bool = False):
    """A figure of portal's coordination_figures; shares (0..1 there) are shown in %."""

    def compute(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
        value = _figure(_coordination(fiscal_year), *keys)
        if value is None:
            return {"value": None, "records": [], "note": note, "ward_scoped": False}
        number = Decimal(str(value)) * (100 if share else 1)
        return {
            "value": number.quantize(ONE_DECIMAL, ROUND_HALF_UP),
            "records": [],
            "ward_scoped": False,
        }

    return compute


kpi_training_sessions = _coordination_kpi(
    ("training_sessions",), _("研修のデータ源（コーディネーター支援）がまだありません")
)
kpi_training_sessions.__doc__ = (
    "Training sessions held in the 年度 (portal.selectors.coordination_figures)."
)
kpi_network_meetings = _coordination_kpi(
    ("network_meetings",), _("ネットワーク会議のデータ源がまだありません")
)
kpi_network_meetings.__doc__ = (
    "Network meetings held in the 年度 (portal.selectors.coordination_figures)."
)
kpi_staff_trained = _coordination_kpi(
    ("staff_trained_share",), _("職員研修の受講データがまだありません"), share=True
)
kpi_staff_trained.__doc__ = (
    "Share (%) of staff who completed collaboration training (coordination_figures)."
)
kpi_staff_skills = _coordination_kpi(
    ("skills_sufficient_share",), _("職員の自己評価データがまだありません"), share=True
)
kpi_staff_skills.__doc__ = (
    "Share (%) of staff rating their collaboration skills 十分 in the self-assessment "
    "(coordination_figures)."
)


# ---------------------------------------------------------------- pillar 3


def indicator_improvements(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> list[dict]:
    """Per quantitative indicator of a project under evaluation: (latest − first) / |first| in %.

    An indicator counts when it has at least two measurements on or before the end of the 年度,
    the latest of them inside the 年度, and a non-zero first value. For indicators where smaller
    is better the sign is reversed, so a positive figure is always an improvement.
    """
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    rows = (
        Measurement.objects.filter(
            indicator__kind="quantitative", value__isnull=False, measured_on__lte=date_to
        )
        .order_by("indicator_id", "measured_on", "id")
        .values_list(
            "indicator_id",
            "measured_on",
            "value",
            "indicator__name",
            "indicator__higher_is_better",
            "indicator__project_id",
            "indicator__project__title",
        )
    )
    if ward:
        rows = rows.filter(indicator__project__ward=ward)
    series: dict[int, list] = {}
    for row in rows.iterator(chunk_size=5000):
        series.setdefault(row[0], []).append(row)
    results = []
    for points in series.values():
        first, latest = points[0], points[-1]
        if len(points) < 2 or latest[1] < date_from or not first[2]:
            continue
        change = (latest[2] - first[2]) / abs(first[2]) * 100
        if not latest[4]:
            change = -change
        results.append(
            {
                "indicator_id": first[0],
                "label": f"{first[6]} — {first[3]}",
                "project_id": first[5],
                "first": first[2],
                "latest": latest[2],
                "change": change.quantize(ONE_DECIMAL, ROUND_HALF_UP),
            }
        )
    return results


def kpi_average_improvement(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Average improvement of project effects = mean, over the quantitative indicators of projects
    under evaluation, of (latest − first) / |first| × 100 (see ``indicator_improvements``)."""
    improvements = indicator_improvements(fiscal_year, ward, period=period)
    if not improvements:
        return {"value": None, "records": []}
    total = sum(item["change"] for item in improvements)
    return {
        "value": _ratio(total, len(improvements)),
        "records": improvements,
        "denominator": len(improvements),
    }


def _active_projects(date_from: datetime.date, date_to: datetime.date, ward: Ward | None):
    return (
        _projects(ward)
        .filter(start_date__lte=date_to)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=date_from))
        .exclude(status__in=[Project.Status.CANCELLED, Project.Status.PREPARING])
    )


def kpi_evaluation_coverage(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Projects covered by evaluation = projects active in the 年度 (period overlapping it, not
    準備中 or 中止) with at least one measurement dated in the 年度 ÷ all active projects, in %."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    active = _active_projects(date_from, date_to, ward)
    measured = Measurement.objects.filter(measured_on__range=(date_from, date_to)).values(
        "indicator__project_id"
    )
    agg = active.aggregate(total=Count("id"), covered=Count("id", filter=Q(id__in=measured)))
    return {
        "value": _pct(agg["covered"], agg["total"]),
        "records": active.exclude(id__in=measured),
        "numerator": agg["covered"],
        "denominator": agg["total"],
        "note": _("一覧は測定値のない事業です"),
    }


def kpi_continuation_2y(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Projects continued or grown 2 years after start = projects started in FY−2 whose 2-year
    continuation record is 継続 or 発展 ÷ those with a 2-year record, in %."""
    return _continuation(fiscal_year, ward, 2)


def kpi_committee_score(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """External committee score = mean rubric score (1–5) of the reviews of the 年度."""
    records = Review.objects.filter(fiscal_year=fiscal_year).select_related("project", "member")
    if ward:
        records = records.filter(project__ward=ward)
    agg = records.aggregate(avg=Avg("score"), n=Count("id"))
    value = (
        None
        if agg["avg"] is None
        else Decimal(str(agg["avg"])).quantize(TWO_DECIMALS, ROUND_HALF_UP)
    )
    return {"value": value, "records": records, "denominator": agg["n"]}


def kpi_actions_implemented(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Improvement actions implemented = actions from the reviews of the 年度 marked 実施済み ÷
    all actions from those reviews, in % (actions still 対応中 count as not yet implemented)."""
    records = ImprovementAction.objects.filter(review__fiscal_year=fiscal_year).select_related(
        "review__project"
    )
    if ward:
        records = records.filter(review__project__ward=ward)
    agg = records.aggregate(
        total=Count("id"),
        ok=Count("id", filter=Q(status=ImprovementAction.Status.IMPLEMENTED)),
    )
    return {
        "value": _pct(agg["ok"], agg["total"]),
        "records": records,
        "numerator": agg["ok"],
        "denominator": agg["total"],
    }


def kpi_cases_reused(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Best practices reused by another ward = reuse records dated in the 年度 of best-practice
    cases by a ward other than the case project's own (a ward filter counts reuse *by* that ward)."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = (
        CaseReuse.objects.filter(case__kind="best", reused_on__range=(date_from, date_to))
        .exclude(ward_id=F("case__project__ward_id"))
        .select_related("case", "ward")
    )
    if ward:
        records = records.filter(ward=ward)
    count = records.count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def kpi_reports_published(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Reports published per year = reports (annual or quarterly) published in the 年度, counting
    each period (年度 + 四半期) once however many files were published for it."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    records = ReportFile.objects.filter(published_at__gte=start, published_at__lt=end)
    count = records.values("fiscal_year", "quarter", "ward").distinct().count()
    return {"value": Decimal(count), "records": records, "numerator": count, "ward_scoped": False}


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class KpiSpec:
    code: str
    label: Any
    pillar: int
    unit: Any
    target: Decimal | None
    baseline: Decimal | None
    compute: Callable[..., dict]


D = Decimal
KPI_SPECS: list[KpiSpec] = [
    KpiSpec(
        "collaborations_created",
        _("プラットフォーム経由の連携事業数（年度）"),
        1,
        _("件"),
        D(200),
        D(60),
        kpi_collaborations_created,
    ),
    KpiSpec(
        "match_success_rate",
        _("マッチング成功率（提案のうち事業化した割合）"),
        1,
        "%",
        D(60),
        D("23.8"),
        kpi_match_success_rate,
    ),
    KpiSpec(
        "registered_organisations",
        _("登録団体数"),
        1,
        _("団体"),
        D(500),
        None,
        kpi_registered_organisations,
    ),
    KpiSpec(
        "issues_in_database",
        _("地域課題データベースの登録件数"),
        1,
        _("件"),
        D(1000),
        None,
        kpi_issues_in_database,
    ),
    KpiSpec(
        "monthly_active_users",
        _("月間アクティブユーザー数"),
        1,
        _("人"),
        D(1000),
        None,
        kpi_monthly_active_users,
    ),
    KpiSpec(
        "user_satisfaction",
        _("利用者満足度（1〜5）"),
        1,
        _("点"),
        D("4.0"),
        None,
        kpi_user_satisfaction,
    ),
    KpiSpec(
        "events_per_month",
        _("マッチングイベントの月間開催数"),
        1,
        _("回/月"),
        D(4),
        None,
        kpi_events_per_month,
    ),
    KpiSpec(
        "platform_availability",
        _("プラットフォーム稼働率"),
        1,
        "%",
        D(99),
        None,
        kpi_platform_availability,
    ),
    KpiSpec(
        "coordinator_success_rate",
        _("コーディネーター支援事業の成功率"),
        2,
        "%",
        D(80),
        D("52.1"),
        kpi_coordinator_success_rate,
    ),
    KpiSpec(
        "coordinators", _("コーディネーター数（23区）"), 2, _("人"), D(30), None, kpi_coordinators
    ),
    KpiSpec(
        "cases_per_coordinator",
        _("コーディネーター1人あたり年間支援件数"),
        2,
        _("件"),
        D(15),
        None,
        kpi_cases_per_coordinator,
    ),
    KpiSpec(
        "continuation_1y", _("開始1年後の事業継続率"), 2, "%", D(80), None, kpi_continuation_1y
    ),
    KpiSpec(
        "training_sessions",
        _("研修の開催回数（年間）"),
        2,
        _("回"),
        D(24),
        None,
        kpi_training_sessions,
    ),
    KpiSpec(
        "network_meetings",
        _("ネットワーク会議の開催回数（年間）"),
        2,
        _("回"),
        D(6),
        None,
        kpi_network_meetings,
    ),
    KpiSpec(
        "staff_trained", _("連携研修を修了した職員の割合"), 2, "%", D(50), None, kpi_staff_trained
    ),
    KpiSpec(
        "staff_skills",
        _("連携スキルを「十分」と自己評価する職員の割合"),
        2,
        "%",
        D(70),
        D("18.7"),
        kpi_staff_skills,
    ),
    KpiSpec(
        "average_improvement",
        _("評価開始後の事業効果の平均改善率"),
        3,
        "%",
        D(30),
        None,
        kpi_average_improvement,
    ),
    KpiSpec(
        "evaluation_coverage",
        _("評価を実施している事業の割合"),
        3,
        "%",
        D(80),
        None,
        kpi_evaluation_coverage,
    ),
    KpiSpec(
        "continuation_2y",
        _("開始2年後の継続・発展率"),
        3,
        "%",
        D(85),
        D("67.3"),
        kpi_continuation_2y,
    ),
    KpiSpec(
        "committee_score",
        _("外部評価委員会の評点（1〜5）"),
        3,
        _("点"),
        D("4.0"),
        None,
        kpi_committee_score,
    ),
    KpiSpec(
        "actions_implemented", _("改善提言の実施率"), 3, "%", D(70), None, kpi_actions_implemented
    ),
    KpiSpec(
        "cases_reused",
        _("他区で活用されたベストプラクティス（年間）"),
        3,
        _("件"),
        D(10),
        None,
        kpi_cases_reused,
    ),
    KpiSpec(
        "reports_published",
        _("評価報告書の公表数（年間）"),
        3,
        _("件"),
        D(4),
        None,
        kpi_reports_published,
    ),
]
KPI_BY_CODE = {spec.code: spec for spec in KPI_SPECS}
PILLARS = {
    1: _("支援策① 地域課題データベース・マッチング"),
    2: _("支援策② コーディネーター制度"),
    3: _("支援策③ 効果測定・評価"),
}


def kpi_result(spec: KpiSpec, **values: Any) -> KpiResult:
    """A KpiResult of `spec` (its code, label, pillar, unit, target, baseline) with `values`."""
    return KpiResult(
        code=spec.code,
        label=spec.label,
        pillar=spec.pillar,
        unit=spec.unit,
        target=spec.target,
        baseline=spec.baseline,
        **values,
    )


def kpi_compute(
    code: str, fiscal_year: int, ward: Ward | None = None, quarter: int | None = None
) -> KpiResult:
    spec = KPI_BY_CODE[code]
    period = period_range(fiscal_year, quarter) if quarter else None
    data = spec.compute(fiscal_year, ward, period=period)
    return kpi_result(
        spec,
        value=data.get("value"),
        records=data.get("records", []),
        numerator=data.get("numerator"),
        denominator=data.get("denominator"),
        note=str(data.get("note", "")),
        ward_scoped=data.get("ward_scoped", True),
    )


def kpis_for(
    fiscal_year: int, ward: Ward | None = None, quarter: int | None = None
) -> list[KpiResult]:
    with kpi_memo():
        return [kpi_compute(spec.code, fiscal_year, ward, quarter) for spec in KPI_SPECS]
