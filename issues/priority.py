"""The priority formula (優先度), in one place so the number and its explanation agree.

    priority = 100 × (w_u·(緊急度 − 1) + w_i·(重要度 − 1) + w_e·(5 − 解決困難度)) / (4·(w_u + w_i + w_e))

Each score is 1–5. Urgency and importance raise the priority; difficulty lowers it (an issue that
is easier to solve can be started sooner, so 「解決しやすさ」 = 6 − difficulty counts). The result is
normalised to 0–100: all three at their most favourable (5, 5, 1) gives 100, the least (1, 1, 5)
gives 0. The weights (default 4 : 4 : 2) are a single `PriorityWeights` row that admins edit in
the admin site; changing them recomputes every issue (issues.services.priority_weights_update).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

DEFAULT_WEIGHTS = (4, 4, 2)


@dataclass(frozen=True)
class Weights:
    urgency: int
    importance: int
    ease: int

    @property
    def total(self) -> int:
        return self.urgency + self.importance + self.ease


def weights_current() -> Weights:
    from issues.models import PriorityWeights

    row = PriorityWeights.objects.order_by("pk").first()
    if row is None:
        return Weights(*DEFAULT_WEIGHTS)
    return Weights(row.urgency_weight, row.importance_weight, row.ease_weight)


def _parts(urgency: int, importance: int, difficulty: int, weights: Weights) -> list[Decimal]:
    scale = Decimal(100) / Decimal(4 * (weights.total or 1))
    return [
        Decimal(weights.urgency * (urgency - 1)) * scale,
        Decimal(weights.importance * (importance - 1)) * scale,
        Decimal(weights.ease * (5 - difficulty)) * scale,
    ]


def priority_compute(
    *, urgency: int, importance: int, difficulty: int, weights: Weights | None = None
) -> Decimal:
    weights = weights or weights_current()
    total = sum(_parts(urgency, importance, difficulty, weights), Decimal(0))
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def priority_explain(issue, *, weights: Weights | None = None) -> dict:
    """Why an issue ranks where it does: each score's contribution to the 0–100 figure."""
    weights = weights or weights_current()
    parts = _parts(issue.urgency, issue.importance, issue.difficulty, weights)
    rows = [
        {
            "label": _("緊急度"),
            "score": issue.urgency,
            "weight": weights.urgency,
            "points": parts[0].quantize(Decimal("0.1")),
            "max": (Decimal(100 * weights.urgency) / (weights.total or 1)).quantize(Decimal("0.1")),
        },
        {
            "label": _("重要度"),
            "score": issue.importance,
            "weight": weights.importance,
            "points": parts[1].quantize(Decimal("0.1")),
            "max": (Decimal(100 * weights.importance) / (weights.total or 1)).quantize(
                Decimal("0.1")
            ),
        },
        {
            "label": _("解決しやすさ（6 − 解決困難度）"),
            "score": 6 - issue.difficulty,
            "weight": weights.ease,
            "points": parts[2].quantize(Decimal("0.1")),
            "max": (Decimal(100 * weights.ease) / (weights.total or 1)).quantize(Decimal("0.1")),
        },
    ]
    return {
        "rows": rows,
        "weights": weights,
        "total": sum(parts, Decimal(0)).quantize(Decimal("0.01")),
    }
