"""A ward's target for a KPI, when the dashboard or a report looks at one ward.

The seed's targets are for the 23 wards together (collaborations ≥ 200 a year, organisations ≥
500, …). A ward view compares a ward's figure with the ward's own target:

- a target an evaluator set for the ward (WardKpiTarget) always wins;
- otherwise, by the KPI's ``ward_target`` policy (evaluation.kpi.KPI_SPECS):
  - ``POPULATION``: the 23-ward target × the ward's share of the 23 wards' population, rounded
    half up to a whole number, at least 1. The key is the 2020 census population
    (portal/data/tokyo23_population.csv, 令和2年国勢調査; 23 wards = 9,733,276 people);
    e.g. 千代田区 66,680 people = 0.685 % → 200 × 0.685 % = 1.37 → 1 collaboration a year;
  - ``SAME``: rates, means and per-person figures keep the 23-ward target (60 % is 60 % in
    every ward);
  - ``NONE``: no ward target exists (a figure of the wards' network, e.g. reuse by other wards):
    the ward view says so instead of comparing with the 23-ward target.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.kpi.base import memoized
from evaluation.kpi.definitions import DEFINITIONS
from evaluation.models import WardKpiTarget
from portal.models import Ward

if TYPE_CHECKING:
    from evaluation.kpi import KpiSpec

POPULATION = "population"
SAME = "same"
NONE = "none"
POPULATION_CSV = Path(settings.BASE_DIR) / "portal" / "data" / "tokyo23_population.csv"
POPULATION_SOURCE = "令和2年国勢調査"


@cache
def ward_population() -> dict[str, int]:
    """{5-digit ward code: population} of the 2020 census (portal/data/tokyo23_population.csv)."""
    with POPULATION_CSV.open(encoding="utf-8") as handle:
        return {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}


def population_share(ward: Ward) -> Decimal:
    """The ward's share (0..1) of the 23 wards' population."""
    population = ward_population()
    return Decimal(population[ward.code]) / Decimal(sum(population.values()))


def _overrides(ward: Ward) -> dict[str, WardKpiTarget]:
    return memoized(
        ("ward_targets", ward.pk),
        lambda: {t.code: t for t in WardKpiTarget.objects.filter(ward=ward)},
    )


def ward_target(spec: KpiSpec, ward: Ward | None) -> tuple[Decimal | None, str]:
    """(target, how it was set) of ``spec`` for ``ward``; (the 23-ward target, "") without one.

    A target of None with a note means 「区別の目標なし」.
    """
    if ward is None:
        return spec.target, ""
    override = _overrides(ward).get(spec.code)
    if override is not None:
        return override.target, _("%(ward)sが定めた目標") % {"ward": ward.local_name} + (
            f"（{override.note}）" if override.note else ""
        )
    return default_ward_target(spec, ward)


def default_ward_target(spec: KpiSpec, ward: Ward) -> tuple[Decimal | None, str]:
    """The ward's target by the KPI's policy, when evaluators have set none (module docstring)."""
    if spec.target is None:
        return None, ""
    if spec.ward_target == SAME:
        return spec.target, _("23区と同じ目標")
    if spec.ward_target == NONE:
        return None, _("区別の目標はありません（23区全体の目標 %(target)s）") % {
            "target": f"{spec.target:,}"
        }
    share = population_share(ward)
    target = max(Decimal(1), (spec.target * share).quantize(Decimal(1), ROUND_HALF_UP))
    return target, _(
        "23区の目標 %(target)s × 人口比 %(share)s%%（%(source)s）、四捨五入・最低1"
    ) % {
        "target": f"{spec.target:,}",
        "share": (share * 100).quantize(Decimal("0.01"), ROUND_HALF_UP),
        "source": POPULATION_SOURCE,
    }


def ward_targets_save(
    *, ward: Ward, targets: dict[str, tuple[Decimal | None, str]], updated_by=None
) -> int:
    """Sets the ward's own targets ({KPI code: (target or None, note)}); None goes back to the
    default. Returns how many targets changed."""
    changed = 0
    with transaction.atomic():
        for code, (target, note) in targets.items():
            if code not in DEFINITIONS:
                raise ValidationError(_("指標の値が不正です。"))
            current = WardKpiTarget.objects.filter(ward=ward, code=code).first()
            if target is None:
                if current is not None:
                    current.delete()
                    changed += 1
                continue
            if current and (current.target, current.note) == (target, note):
                continue
            WardKpiTarget.objects.update_or_create(
                ward=ward,
                code=code,
                defaults={"target": target, "note": note, "updated_by": updated_by},
            )
            changed += 1
    return changed
