"""What every KPI shares: the result record, rounding, the period, the request memo."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from evaluation.kpi.definitions import DEFINITIONS, KpiDefinition
from matching.projects.models import Project
from portal import selectors as portal_selectors
from portal.models import Ward
from portal.rounding import percent

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
    # How a ward view's target was set (evaluation.kpi.targets); "" for the 23-ward target.
    target_note: str = ""

    @property
    def definition(self) -> KpiDefinition:
        return DEFINITIONS[self.code]

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
        return int(min(Decimal(100), percent(self.value, self.target, 0) or 0))

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


def pct(numerator: int | Decimal, denominator: int) -> Decimal | None:
    """numerator ÷ denominator in %, one decimal rounded half up (None when dividing by 0)."""
    return percent(numerator, denominator, 1)


def ratio(numerator: int | Decimal, denominator: int | Decimal, places: Decimal = ONE_DECIMAL):
    """numerator ÷ denominator rounded half up to ``places`` (None when dividing by 0)."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, ROUND_HALF_UP)


def elapsed_end(date_to: datetime.date) -> datetime.date:
    """The end of the period, or today if the period is still running."""
    return min(date_to, timezone.localdate())


def projects_in_scope(ward: Ward | None):
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


def memoized[T](key: tuple, fetch: Callable[[], T]) -> T:
    """``fetch()``, once per ``key`` inside a :func:`kpi_memo` block (every time outside one)."""
    memo = _memo.get()
    if memo is None:
        return fetch()
    if key not in memo:
        memo[key] = fetch()
    return memo[key]


def coordination(fiscal_year: int) -> dict[str, Any] | None:
    return memoized(("coordination", fiscal_year), lambda: _coordination_fetch(fiscal_year))


def _coordination_fetch(fiscal_year: int) -> dict[str, Any]:
    """Figures of the coordinator system (portal); a missing figure is 「データなし」."""
    return dict(portal_selectors.coordination_figures(fiscal_year=fiscal_year) or {})


def figure(figures: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if figures and figures.get(key) is not None:
            return figures[key]
    return None
