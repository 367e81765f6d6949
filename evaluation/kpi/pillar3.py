"""KPIs of Pillar 3 (支援策③): evaluation, committee, improvement, reuse and reports.

Each ``kpi_<code>(fiscal_year, ward, *, period)`` returns a dict (value, records, numerator,
denominator, note, ward_scoped) that evaluation.kpi turns into a KpiResult.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.feed import feed_interval_start
from evaluation.kpi.base import (
    ONE_DECIMAL,
    TWO_DECIMALS,
    pct,
    projects_in_scope,
    ratio,
)
from evaluation.kpi.pillar2 import continuation_rate
from evaluation.models import (
    CaseReuse,
    DeviceFeed,
    FeedDelivery,
    ImprovementAction,
    Measurement,
    ReportFile,
    Review,
)
from matching.projects.models import Project
from portal.fiscal import datetime_range, fiscal_year_range, quarter_of
from portal.models import HealthCheck, Ward


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
        "value": ratio(total, len(improvements)),
        "records": improvements,
        "denominator": len(improvements),
    }


def _active_projects(date_from: datetime.date, date_to: datetime.date, ward: Ward | None):
    return (
        projects_in_scope(ward)
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
        "value": pct(agg["covered"], agg["total"]),
        "records": active.exclude(id__in=measured),
        "numerator": agg["covered"],
        "denominator": agg["total"],
        "note": _("一覧は測定値のない事業です"),
    }


def kpi_continuation_2y(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Projects continued or grown 2 years after start = projects started in FY−2 whose 2-year
    continuation record is 継続 or 発展 ÷ those with a 2-year record, in %."""
    return continuation_rate(fiscal_year, ward, 2)


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
        "value": pct(agg["ok"], agg["total"]),
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
    """Reports published for the 年度 = the periods of the 年度 (the annual report, Q1–Q4) for
    which a finished report has been published, whenever it was published (the annual report
    of a 年度 appears after it ends); a period published twice, or as PDF and CSV, counts once.
    A ward view counts that ward's reports and the all-ward ones."""
    records = ReportFile.objects.filter(
        fiscal_year=fiscal_year, published_at__isnull=False, status=ReportFile.Status.DONE
    )
    if period:
        records = records.filter(quarter=quarter_of(period[0]))
    if ward:
        records = records.filter(Q(ward=ward) | Q(ward__isnull=True))
    count = records.values("quarter").distinct().count()
    return {"value": Decimal(count), "records": records, "numerator": count}


def _expected_intervals(feed: DeviceFeed, start, end) -> tuple[datetime.datetime, int]:
    """(first interval start, number of whole intervals) of ``feed`` within [start, end)."""
    step = datetime.timedelta(hours=feed.interval_hours)
    begin = max(start, feed.created_at)
    first = feed_interval_start(begin, feed.interval_hours)
    if first < begin:
        first += step
    stop = end
    if not feed.active:
        stop = min(stop, feed.deactivated_at or feed.last_used_at or feed.created_at)
    if stop <= first:
        return first, 0
    return first, int((stop - first) / step)


def kpi_measurement_availability(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """デジタル効果測定システム稼働率 = intervals in which a device feed delivered an accepted
    batch ÷ the intervals it was expected to send in, in %. A feed expects one delivery per
    interval of its 送信間隔 (1, 6 or 24 h, starting at Tokyo midnight) from its issue to the end
    of the period, its deactivation, or now; only whole intervals count. Each missed interval is
    put down to the receiving side when a portal health check in it found the database down,
    otherwise to the device (the records list both per feed). No feed: 「データなし」."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    end = min(end, timezone.now())
    feeds = list(
        DeviceFeed.objects.filter(created_at__lt=end)
        .filter(Q(deactivated_at__isnull=True) | Q(deactivated_at__gt=start))
        .select_related("project")
        .order_by("project__title", "pk")
    )
    if ward:
        feeds = [feed for feed in feeds if feed.project.ward_id == ward.pk]
    delivered: dict[int, set] = {}
    for feed_id, moment in FeedDelivery.objects.filter(
        feed__in=feeds, interval_start__gte=start, interval_start__lt=end
    ).values_list("feed_id", "interval_start"):
        delivered.setdefault(feed_id, set()).add(moment)
    down = list(
        HealthCheck.objects.filter(at__gte=start, at__lt=end, database_ok=False).values_list(
            "at", flat=True
        )
    )
    records, expected_total, delivered_total = [], 0, 0
    for feed in feeds:
        first, count = _expected_intervals(feed, start, end)
        if not count:
            continue
        last = first + datetime.timedelta(hours=feed.interval_hours) * count
        got = {m for m in delivered.get(feed.pk, set()) if first <= m < last}
        receiving = {feed_interval_start(at, feed.interval_hours) for at in down}
        missed_receiving = len({m for m in receiving if first <= m < last} - got)
        expected_total += count
        delivered_total += len(got)
        records.append(
            {
                "label": _(
                    "%(project)s — %(feed)s: %(got)d / %(n)d 区間（未受信のうち受信側の停止 %(down)d）"
                )
                % {
                    "project": feed.project.title,
                    "feed": feed.name,
                    "got": len(got),
                    "n": count,
                    "down": missed_receiving,
                },
                "value": pct(len(got), count),
                "project_id": feed.project_id,
            }
        )
    return {
        "value": pct(delivered_total, expected_total),
        "records": records,
        "numerator": delivered_total,
        "denominator": expected_total,
        "note": "" if feeds else _("機器・アプリ連携がありません"),
    }
