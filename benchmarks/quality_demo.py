"""Ranking quality on a labelled set built from the demo data, with and without each signal.

    python manage.py load_demo && python benchmarks/quality_demo.py

Labels (graded, per issue × resource): 2 = the resource covers the issue's field and offers a
resource kind the issue asks for; 1 = it covers the field only; 0 = otherwise. The demo texts are
written per field, so the field is the ground truth available; the kind label adds the desired
form of help. Prints MRR (first label-2 hit), P@5 and nDCG@10 of the top 10, hand weights.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from issues.models import Issue, IssueStatus
    from matching.rules import DEFAULT_WEIGHTS, FEATURES
    from matching.scoring import compute_matches, context_build, engine_load
    from partners.models import Resource

    engine = engine_load()
    issues = list(
        Issue.objects.filter(status=IssueStatus.OPEN).values(
            "pk", "field_id", "desired_resource_kinds"
        )
    )
    resources = {
        r.pk: (set(r.fields.values_list("pk", flat=True)), r.kind)
        for r in Resource.objects.prefetch_related("fields")
    }

    def label(issue: dict, resource_id: int) -> int:
        fields, kind = resources[resource_id]
        if issue["field_id"] not in fields:
            return 0
        return 2 if kind in (issue["desired_resource_kinds"] or []) else 1

    ideal_cache = {
        issue["pk"]: sorted((label(issue, rid) for rid in resources), reverse=True)[:10]
        for issue in issues
    }
    configs = [("all signals", dict(DEFAULT_WEIGHTS))]
    configs += [(f"without {n}", {**DEFAULT_WEIGHTS, n: 0.0}) for n in FEATURES if n != "text"]
    configs.append(("text only", {n: (1.0 if n == "text" else 0.0) for n in FEATURES}))
    discounts = 1 / np.log2(np.arange(2, 12))
    print(f"{len(issues)} open demo issues × {len(resources)} resources, top 10, hand weights")
    print(f"{'configuration':<24} {'MRR':>6} {'P@5':>6} {'nDCG@10':>8}")
    for name, weights in configs:
        ctx = context_build(engine=engine, weights=weights, top_k=10, allow_learned=False)
        results = compute_matches([i["pk"] for i in issues], ctx)
        rr, p5, ndcg = [], [], []
        for issue in issues:
            ranked = [label(issue, c.resource_id) for c in results[issue["pk"]]]
            hits = [value >= 2 for value in ranked]
            rr.append(1.0 / (hits.index(True) + 1) if any(hits) else 0.0)
            p5.append(sum(hits[:5]) / 5)
            ideal = (2.0 ** np.array(ideal_cache[issue["pk"]], dtype=float)) - 1
            gains = (2.0 ** np.array(ranked[:10], dtype=float)) - 1
            denominator = float(np.sum(ideal * discounts[: len(ideal)]))
            ndcg.append(
                float(np.sum(gains * discounts[: len(gains)])) / denominator if denominator else 0.0
            )
        print(f"{name:<24} {np.mean(rr):6.3f} {np.mean(p5):6.3f} {np.mean(ndcg):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
