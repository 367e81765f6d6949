"""KPIs of Pillar 2 (支援策②): coordinators, training and continuation after one year.

Each ``kpi_<code>(fiscal_year, ward, *, period)`` returns a dict (value, records, numerator,
denominator, note, ward_scoped) that evaluation.kpi turns into a KpiResult.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from evaluation.models import (
    Continuation,
)
from matching.projects.models import Project
from portal.fiscal import fiscal_year_range
from portal.models import Role, Ward

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from evaluation.kpi.base import (
    ONE_DECIMAL,
    coordination,
    figure,
    pct,
    projects_in_scope,
    ratio,
)


def kpi_coordinator_success_rate(
    fiscal_year: int, ward: Ward | None = None, *, period=None
) -> dict:
    """Coordinator-supported project success rate = projects with a coordinator that ended in the
    年度 (end_date in the 年度, status 完了 or 中止) and were completed (完了) ÷ all of them, in %."""
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = projects_in_scope(ward).filter(
        coordinator__isnull=False,
        end_date__range=(date_from, date_to),
        status__in=[Project.Status.COMPLETED, Project.Status.CANCELLED],
    )
    agg = records.aggregate(
        total=Count("id"), ok=Count("id", filter=Q(status=Project.Status.COMPLETED))
    )
    return {
        "value": pct(agg["ok"], agg["total"]),
        "records": records,
        "numerator": agg["ok"],
        "denominator": agg["total"],
    }


def _coordinators_count(fiscal_year: int, ward: Ward | None) -> tuple[int, Any, bool]:
    figures = coordination(fiscal_year)
    value = figure(figures, "coordinators", "coordinator_count", "active_coordinators")
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
    records = projects_in_scope(ward).filter(
        coordinator__isnull=False, start_date__range=(date_from, date_to)
    )
    cases = records.count()
    coordinators, _records, _from_portal = _coordinators_count(fiscal_year, ward)
    portal_value = figure(coordination(fiscal_year), "supported_cases_per_coordinator")
    if portal_value is not None and ward is None and not period:
        return {
            "value": Decimal(str(portal_value)).quantize(ONE_DECIMAL, ROUND_HALF_UP),
            "records": records,
            "note": _("コーディネーター支援の記録（portal）による値です"),
        }
    return {
        "value": ratio(cases, coordinators),
        "records": records,
        "numerator": cases,
        "denominator": coordinators,
    }


def continuation_rate(fiscal_year: int, ward: Ward | None, years: int) -> dict:
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
        "value": pct(agg["ok"], agg["total"]),
        "records": records,
        "numerator": agg["ok"],
        "denominator": agg["total"],
    }


def kpi_continuation_1y(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Projects still running 1 year after start = projects started in the previous 年度 (FY−1)
    whose 1-year continuation record is 継続 or 発展 ÷ those with a 1-year record, in %."""
    return continuation_rate(fiscal_year, ward, 1)


def _coordination_kpi(keys: tuple[str, ...], note: StrOrPromise, *, share: bool = False):
    """A figure of portal's coordination_figures; shares (0..1 there) are shown in %."""

    def compute(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
        value = figure(coordination(fiscal_year), *keys)
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
