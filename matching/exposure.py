"""The exposure cap: no organisation holds more than a set share of the shown slots.

Pure functions (no database): matching.runs.services applies them to a run's candidates and
benchmarks/bench_devset.py to the development set, so both measure the same rule.

The rule (exposure-capped re-ranking, in the spirit of FA*IR — Zehlike et al., "FA*IR: A Fair
Top-k Ranking Algorithm", CIKM 2017 — and of amortised exposure constraints — Singh & Joachims,
"Fairness of Exposure in Rankings", KDD 2018; here with organisations as the groups and a
single ceiling instead of a protected-group floor):

- The *window* is the first WINDOW ranks of each issue (the top 5 the fairness screen counts as
  "shown"). `slots` = the window places filled across all issues ranked together.
- An organisation's *limit* = floor(cap % × slots), never below 1 (someone must fill a slot).
- While an organisation holds more than its limit, one of its window pairs is moved out: in each
  issue where it has one, its lowest window pair p and the best pair r below the window of an
  organisation still under its limit are paired; the move given up least, the smallest margin
  score(p) − score(r) (ties: the smaller issue id), is made. r takes the last window place and p
  sits right below it; the order of every other pair is kept.
- Organisations are capped one after another, the most exposed first (ties: smaller id). An
  issue with no replacement keeps its order; the slots that could not be freed are counted
  (`unmet`).

Deterministic: the same input gives the same order. A cap of 0 changes nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from portal.rounding import percent

WINDOW = 5  # the ranks the fairness screen counts as shown (ExposureLog.Kind.SHOWN)
TOP_SHARE = 0.1  # the fairness figure: the share of the most exposed 10 % of organisations


@dataclass(frozen=True)
class Ranked:
    """One ranked pair: `key` identifies it within its issue (a resource id)."""

    key: int
    organization: int
    score: float


@dataclass
class CapResult:
    """The capped order of every issue and what moved.

    `moved`: (issue, key) → "down" (moved out of the window by the cap) or "up" (moved in).
    `limits`: slots per organisation allowed; `unmet`: slots over the limit no move could free.
    """

    rankings: dict[int, list[Ranked]]
    moved: dict[tuple[int, int], str] = field(default_factory=dict)
    slots: int = 0
    limit: int = 0
    unmet: int = 0


def window_counts(rankings: dict[int, list[Ranked]], window: int = WINDOW) -> Counter:
    """organisation → window places it holds across the issues."""
    return Counter(pair.organization for pairs in rankings.values() for pair in pairs[:window])


def top_share(rankings: dict[int, list[Ranked]], organizations: int, window: int = WINDOW):
    """Percent of the window places held by the most exposed 10 % of `organizations` (at least
    one organisation; the fairness screen's figure), None when no place is filled."""
    counts = sorted(window_counts(rankings, window).values(), reverse=True)
    total = sum(counts)
    if not total:
        return None
    top_n = max(1, math.ceil(TOP_SHARE * max(organizations, len(counts))))
    return float(percent(sum(counts[:top_n]), total) or 0)


def exposure_cap(
    rankings: dict[int, list[Ranked]], *, cap_percent: int, window: int = WINDOW
) -> CapResult:
    """Re-rank so that no organisation holds more than `cap_percent` % of the window places.

    `rankings`: issue → pairs best first (the engine's order, all the pairs it kept).
    Returns new lists (the input is not changed); see the module docstring for the rule.
    """
    orders = {issue: list(pairs) for issue, pairs in rankings.items()}
    result = CapResult(rankings=orders)
    result.slots = sum(min(window, len(pairs)) for pairs in orders.values())
    if cap_percent <= 0 or not result.slots:
        return result
    result.limit = max(1, math.floor(cap_percent * result.slots / 100))
    counts = window_counts(orders, window)
    over = sorted(
        (org for org, n in counts.items() if n > result.limit), key=lambda o: (-counts[o], o)
    )
    for org in over:
        while counts[org] > result.limit:
            move = _cheapest_move(orders, org, counts, result.limit, window)
            if move is None:
                result.unmet += counts[org] - result.limit
                break
            _margin, issue, out_at, in_at = move
            pairs = orders[issue]
            out, replacement = pairs[out_at], pairs[in_at]
            rest = [p for n, p in enumerate(pairs) if n not in (out_at, in_at)]
            orders[issue] = [*rest[: window - 1], replacement, out, *rest[window - 1 :]]
            counts[org] -= 1
            counts[replacement.organization] += 1
            result.moved[(issue, out.key)] = "down"
            result.moved.setdefault((issue, replacement.key), "up")
    return result


def _cheapest_move(orders, org: int, counts: Counter, limit: int, window: int):
    """(margin, issue, index of the pair to move out, index of its replacement) or None."""
    best = None
    for issue, pairs in orders.items():
        mine = [n for n, p in enumerate(pairs[:window]) if p.organization == org]
        if not mine:
            continue
        out_at = mine[-1]
        in_at = next(
            (
                n
                for n in range(window, len(pairs))
                if pairs[n].organization != org and counts[pairs[n].organization] < limit
            ),
            None,
        )
        if in_at is None:
            continue
        key = (pairs[out_at].score - pairs[in_at].score, issue)
        if best is None or key < best[:2]:
            best = (*key, out_at, in_at)
    return best


def ranking_quality(
    before: dict[int, list[Ranked]], after: dict[int, list[Ranked]], window: int = WINDOW
) -> dict[str, float]:
    """How much of the engine's own ranking the cap kept, with no other ground truth.

    mrr: mean over issues of 1 / (new rank of the engine's first pair);
    ndcg: mean nDCG@window of the new order with the engine's scores (floored at 0) as gains,
    the engine's order being the ideal. Both are 1.0 when nothing moved.
    """
    mrr, ndcg, n = 0.0, 0.0, 0
    for issue, pairs in before.items():
        if not pairs:
            continue
        n += 1
        new = after[issue]
        first = pairs[0].key
        mrr += 1 / (1 + next(i for i, p in enumerate(new) if p.key == first))
        ideal = _dcg(pairs[:window])
        ndcg += _dcg(new[:window]) / ideal if ideal > 0 else 1.0
    if not n:
        return {"mrr": 1.0, "ndcg": 1.0}
    return {"mrr": round(mrr / n, 4), "ndcg": round(ndcg / n, 4)}


def _dcg(pairs: list[Ranked]) -> float:
    return sum(max(p.score, 0.0) / math.log2(rank + 1) for rank, p in enumerate(pairs, start=1))
