"""What the KPI dashboard shows: the 年度's KPIs and their trend over the previous 年度.

The selected 年度 is always computed live. Earlier 年度 change rarely, and recomputing every KPI
of four of them on each view was most of the page's queries, so their values are cached — with
the time they were computed, which the page shows (「… 時点の集計」), so a cached figure is never
passed off as current. The cache is dropped when a record a KPI counts is saved or deleted
(:func:`kpi_sources_changed`, connected in apps.py); writes that send no signal (bulk imports,
``QuerySet.update``) and other processes' local-memory caches are covered by the short lifetime.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from evaluation.fiscal import current_fiscal_year
from evaluation.kpi import KPI_SPECS, KpiResult, kpi_compute, kpi_memo
from portal.models import Ward

PAST_YEAR_CACHE_SECONDS = 10 * 60
GENERATION_KEY = "evaluation:kpis:generation"


@dataclass
class KpiDashboard:
    kpis: list[KpiResult]
    trends: dict[str, list[Decimal | None]]
    # When the oldest cached 年度 of the trend was computed; None when all of it is live.
    trend_as_of: datetime.datetime | None


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
    """The KPIs of ``fiscal_year`` (live) and every KPI over ``fiscal_years``.

    Years after the current 年度 are left empty; the selected 年度 reuses its live values;
    other years that have begun come from the cache described above.
    """
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
                per_year[fy], at = _cached_year(fy, ward)
                oldest = at if oldest is None else min(oldest, at)
    trends = {code: [per_year[fy][code] for fy in fiscal_years] for code in codes}
    return KpiDashboard(kpis=kpis, trends=trends, trend_as_of=oldest)


def _on_save(sender: type, update_fields: frozenset[str] | None = None, **_kwargs: Any) -> None:
    # A login saves the user's last_login only; no KPI counts it, and dropping the cache on
    # every sign-in would leave it empty on a busy morning.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    kpi_sources_changed()


def connect_invalidation() -> None:
    """Drop the cached 年度 when a record that some KPI (or portal's figures) counts changes.

    DailyActivity and HealthCheck are left out on purpose: they are only ever written for
    today, which lies in the current 年度, and that year is never cached.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from evaluation import models as ev
    from issues.models import Issue
    from matching.event_models import Event
    from matching.models import Project, Proposal
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
