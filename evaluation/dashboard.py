"""What the KPI dashboard shows: the 年度's KPIs, their trend over the previous 年度, the
need/coverage gap per field and the outcome-based payments.

Every staff member sees the same figures, and computing them costs ~40 queries, so a computed
set is kept for a minute (earlier 年度 of the trend, which change rarely, for ten) — always with
the time it was computed, which the page shows (「… 時点の集計」), so a kept figure is never
passed off as current. Everything kept is dropped when a record a KPI counts is saved or deleted
(:func:`kpi_sources_changed`, connected in apps.py); writes that send no signal (bulk imports,
``QuerySet.update``, the daily-activity and health-probe rows), and other processes' local-memory
caches, are covered by the short lifetimes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from evaluation import selectors
from evaluation.kpi import KPI_BY_CODE, KPI_SPECS, kpi_compute, kpi_result
from evaluation.kpi.base import KpiResult, kpi_memo
from portal.fiscal import current_fiscal_year, fiscal_year_label
from portal.models import Ward

FIGURES_CACHE_SECONDS = 60
PAST_YEAR_CACHE_SECONDS = 10 * 60
GENERATION_KEY = "evaluation:kpis:generation"
# What the dashboard needs of a KpiResult; its records (querysets) are not kept.
KEPT_FIELDS = (
    "value",
    "numerator",
    "denominator",
    "note",
    "ward_scoped",
    "target",
    "target_note",
    "baseline",
)


@dataclass
class KpiDashboard:
    kpis: list[KpiResult]
    trends: dict[str, list[Decimal | None]]
    # When the oldest cached 年度 of the trend was computed; None when all of it is live.
    trend_as_of: datetime.datetime | None
    gap: list[dict]
    payments: dict
    # When the figures above were computed.
    as_of: datetime.datetime


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # add() rather than set(): two processes starting at once must agree on one value.
        cache.add(GENERATION_KEY, 0, None)
        generation = cache.get(GENERATION_KEY, 0)
    return int(generation)


def kpi_sources_changed(**_kwargs: Any) -> None:
    """Signal receiver: a record some KPI counts changed, so cached 年度 may be wrong now."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation stored yet: nothing cached under one either
        cache.add(GENERATION_KEY, 1, None)


def _year_values(fiscal_year: int, ward: Ward | None) -> dict[str, Decimal | None]:
    return {spec.code: kpi_compute(spec.code, fiscal_year, ward).value for spec in KPI_SPECS}


def _cached_year(fiscal_year: int, ward: Ward | None) -> tuple[dict, datetime.datetime]:
    key = f"evaluation:kpis:{_generation()}:{fiscal_year}:{ward.code if ward else 'all'}"
    stored = cache.get(key)
    if stored is None:
        stored = {"at": timezone.now(), "values": _year_values(fiscal_year, ward)}
        cache.set(key, stored, PAST_YEAR_CACHE_SECONDS)
    return stored["values"], stored["at"]


def kpi_dashboard(fiscal_year: int, ward: Ward | None, fiscal_years: list[int]) -> KpiDashboard:
    """The dashboard's figures for ``fiscal_year`` (and ``ward``), from the last minute at most."""
    # The language is part of the key: notes are stored as text in the language of the request.
    key = (
        f"evaluation:dashboard:{_generation()}:{get_language()}:{fiscal_year}:"
        f"{ward.code if ward else 'all'}:{fiscal_years[0]}-{fiscal_years[-1]}"
    )
    stored = cache.get(key)
    if stored is None:
        stored = _dashboard_compute(fiscal_year, ward, fiscal_years)
        cache.set(key, stored, FIGURES_CACHE_SECONDS)
    kpis = [kpi_result(KPI_BY_CODE[code], **values) for code, values in stored["kpis"].items()]
    return KpiDashboard(
        kpis=kpis,
        trends=stored["trends"],
        trend_as_of=stored["trend_as_of"],
        gap=stored["gap"],
        payments=stored["payments"],
        as_of=stored["at"],
    )


def trend_chart_data(figures: KpiDashboard, fiscal_years: list[int]) -> dict[str, Any]:
    """The trend charts' data (json_script), labels in the language of the request."""
    return {
        "years": [fiscal_year_label(fy).split("（")[0] for fy in fiscal_years],
        "series": [
            {
                "code": k.code,
                "label": str(k.label),
                "unit": str(k.unit),
                "target": float(k.target) if k.target is not None else None,
                "values": [None if v is None else float(v) for v in figures.trends[k.code]],
            }
            for k in figures.kpis
        ],
    }


def gap_chart_data(gap: list[dict]) -> dict[str, list]:
    return {
        "labels": [row["field"].name for row in gap],
        "need": [float(row["need"]) for row in gap],
        "coverage": [float(row["coverage"]) for row in gap],
    }


def _dashboard_compute(fiscal_year: int, ward: Ward | None, fiscal_years: list[int]) -> dict:
    """Computes the figures: the selected 年度 live, years after the current 年度 empty, the
    current 年度 live, earlier ones from the past-year cache described above."""
    at = timezone.now()
    last = current_fiscal_year()
    codes = [spec.code for spec in KPI_SPECS]
    with kpi_memo():
        kpis = [kpi_compute(code, fiscal_year, ward) for code in codes]
        per_year: dict[int, dict[str, Decimal | None]] = {}
        oldest: datetime.datetime | None = None
        for fy in fiscal_years:
            if fy == fiscal_year:
                per_year[fy] = {k.code: k.value for k in kpis}
            elif fy > last:
                per_year[fy] = dict.fromkeys(codes)
            elif fy == last:
                per_year[fy] = _year_values(fy, ward)
            else:
                per_year[fy], year_at = _cached_year(fy, ward)
                oldest = year_at if oldest is None else min(oldest, year_at)
    return {
        "at": at,
        "kpis": {k.code: {name: getattr(k, name) for name in KEPT_FIELDS} for k in kpis},
        "trends": {code: [per_year[fy][code] for fy in fiscal_years] for code in codes},
        "trend_as_of": oldest,
        "gap": selectors.gap_by_field(fiscal_year=fiscal_year, ward=ward),
        "payments": selectors.payments_due_total(fiscal_year=fiscal_year, ward=ward),
    }


def _on_save(sender: type, update_fields: frozenset[str] | None = None, **_kwargs: Any) -> None:
    # A login saves the user's last_login only; no KPI counts it, and dropping the cache on
    # every sign-in would leave it empty on a busy morning.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    kpi_sources_changed()


def connect_invalidation() -> None:
    """Drop the cached 年度 when a record that some KPI (or portal's figures) counts changes.

    DailyActivity, HealthCheck and FeedDelivery are left out on purpose: they are only ever
    written for today, which lies in the current 年度, and that year is never cached.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from evaluation import models as ev
    from issues.models import Issue
    from matching.events.models import Event
    from matching.models import Proposal
    from matching.projects.models import Project
    from partners.models import Organization
    from portal import models as pm

    sources = [
        Issue,
        Project,
        Proposal,
        Event,
        Organization,
        ev.ProjectIndicator,
        ev.Measurement,
        ev.SatisfactionSurvey,
        ev.Review,
        ev.ImprovementAction,
        ev.Continuation,
        ev.CaseStudy,
        ev.CaseReuse,
        ev.ReportFile,
        ev.WardKpiTarget,
        ev.DeviceFeed,
        pm.User,
        pm.CoordinatorProfile,
        pm.TrainingSession,
        pm.TrainingAttendance,
        pm.NetworkMeeting,
        pm.SkillSelfAssessment,
        pm.ConsultationRequest,
    ]
    for model in sources:
        uid = f"evaluation.kpi_cache.{model._meta.label}"
        post_save.connect(_on_save, sender=model, dispatch_uid=uid)
        post_delete.connect(kpi_sources_changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        kpi_sources_changed,
        sender=pm.CoordinatorProfile.wards.through,
        dispatch_uid="evaluation.kpi_cache.coordinator_wards",
    )
