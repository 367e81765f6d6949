"""KPIs of Pillar 3 (支援策③): evaluation, committee, improvement, reuse and reports.

Each ``kpi_<code>(fiscal_year, ward, *, period)`` returns a dict (value, records, numerator,
denominator, note, ward_scoped) that evaluation.kpi turns into a KpiResult.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, F, Q
from django.utils.translation import gettext_lazy as _

from evaluation.models import (
    CaseReuse,
    ImprovementAction,
    Measurement,
    ReportFile,
    Review,
)
from matching.projects.models import Project
from portal.fiscal import datetime_range, fiscal_year_range
from portal.models import Ward

if TYPE_CHECKING:
    pass
from evaluation.kpi.base import (
    ONE_DECIMAL,
    TWO_DECIMALS,
    pct,
    projects_in_scope,
    ratio,
)
from evaluation.kpi.pillar2 import continuation_rate


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
    """Reports published per year = reports (annual or quarterly) published in the 年度, counting
    each period (年度 + 四半期) once however many files were published for it."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    start, end = datetime_range(date_from, date_to)
    records = ReportFile.objects.filter(published_at__gte=start, published_at__lt=end)
    count = records.values("fiscal_year", "quarter", "ward").distinct().count()
    return {"value": Decimal(count), "records": records, "numerator": count, "ward_scoped": False}
