"""Hand-weighted cold start, pairwise learned ranker and its validation."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from matching.engine.ranker import (
    RankerModel,
    evaluate_ranking,
    hand_weighted_score,
    train_pairwise_ranker,
    validate_against_baseline,
)

FEATURES = ["text_score", "field_match", "distance_km"]
# The kind of guess made before any outcome exists: trust the text, nudge by field.
BASELINE = {"text_score": 1.0, "field_match": 0.2}


def planted(seed: int, n_groups: int = 60, size: int = 12) -> dict[str, np.ndarray]:
    """Outcomes decided by field_match alone; text_score and distance are pure noise."""
    rng = np.random.default_rng(seed)
    field_match = rng.integers(0, 2, n_groups * size)
    labels = np.where(
        field_match == 1, rng.integers(2, 4, field_match.size), rng.integers(0, 2, field_match.size)
    )
    features = np.column_stack(
        [rng.random(field_match.size), field_match, rng.uniform(0, 15, field_match.size)]
    )
    return {"features": features, "labels": labels, "groups": np.repeat(np.arange(n_groups), size)}


def test_hand_weighted_score_uses_named_columns() -> None:
    features = np.array([[0.5, 1.0, 3.0], [0.9, 0.0, 1.0]])
    scores = hand_weighted_score(features, {"text_score": 2.0, "distance_km": -0.1}, FEATURES)
    np.testing.assert_allclose(scores, [0.7, 1.7])


def test_hand_weighted_score_rejects_unknown_weights() -> None:
    with pytest.raises(ValueError, match="field_mach"):
        hand_weighted_score(np.zeros((1, 3)), {"field_mach": 1.0}, FEATURES)


def test_evaluate_ranking_on_a_hand_computed_example() -> None:
    rows = [
        # group, score, label
        ("a", 0.9, 0), ("b", 0.5, 3), ("a", 0.8, 2), ("b", 0.7, 1), ("a", 0.1, 0),
        ("b", 0.1, 0), ("c", 0.3, 1), ("c", 0.2, 0), ("d", 0.9, 2), ("d", 0.1, 0),
    ]  # fmt: skip
    groups, scores, labels = (np.array(column) for column in zip(*rows, strict=True))
    metrics = evaluate_ranking(scores=scores, labels=labels, groups=groups)
    # a: first relevant at rank 2; b: the completed project (gain 7) is second behind a held
    # one (gain 1); c has nothing relevant and is left out; d is perfect.
    ndcg_a = (3 / math.log2(3)) / 3
    ndcg_b = (1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3))
    assert metrics["mrr"] == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert metrics["p_at_5"] == pytest.approx(0.2)
    assert metrics["ndcg_at_10"] == pytest.approx((ndcg_a + ndcg_b + 1.0) / 3)
    assert metrics["groups"] == 3


def test_evaluate_ranking_without_relevant_items() -> None:
    metrics = evaluate_ranking(
        scores=np.array([0.2, 0.1]), labels=np.array([1, 0]), groups=np.array([1, 1])
    )
    assert metrics == {"mrr": 0.0, "p_at_5": 0.0, "ndcg_at_10": 0.0, "groups": 0.0}


def test_ranker_learns_the_planted_preference() -> None:
    data = planted(seed=11)
    model = train_pairwise_ranker(feature_names=FEATURES, **data)
    assert model is not None
    strongest = max(model.coefficients, key=lambda name: abs(model.coefficients[name]))
    assert strongest == "field_match"
    assert model.coefficients["field_match"] > 0

    held_out = planted(seed=12)
    learned = evaluate_ranking(
        scores=model.score(held_out["features"]),
        labels=held_out["labels"],
        groups=held_out["groups"],
    )
    baseline = evaluate_ranking(
        scores=hand_weighted_score(held_out["features"], BASELINE, FEATURES),
        labels=held_out["labels"],
        groups=held_out["groups"],
    )
    assert learned["ndcg_at_10"] > baseline["ndcg_at_10"] + 0.1


def test_validation_prefers_the_learned_ranker_only_when_it_is_better() -> None:
    data = planted(seed=5)
    result = validate_against_baseline(feature_names=FEATURES, baseline_weights=BASELINE, **data)
    assert result.use_learned
    assert result.learned is not None
    assert result.learned["ndcg_at_10"] > result.baseline["ndcg_at_10"]

    oracle = {"field_match": 1.0}  # a baseline that already knows the answer
    result = validate_against_baseline(feature_names=FEATURES, baseline_weights=oracle, **data)
    assert not result.use_learned


def test_too_little_feedback_gives_no_model() -> None:
    data = planted(seed=1, n_groups=4)
    assert train_pairwise_ranker(feature_names=FEATURES, **data) is None
    result = validate_against_baseline(feature_names=FEATURES, baseline_weights=BASELINE, **data)
    assert result.learned is None
    assert not result.use_learned


def test_model_survives_a_json_round_trip() -> None:
    data = planted(seed=2)
    model = train_pairwise_ranker(feature_names=FEATURES, **data)
    assert model is not None
    validation = validate_against_baseline(
        feature_names=FEATURES, baseline_weights=BASELINE, **data
    )
    model = dataclasses.replace(model, validation=validation)
    restored = RankerModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    np.testing.assert_array_equal(restored.score(data["features"]), model.score(data["features"]))


def test_model_rejects_features_in_another_layout() -> None:
    model = RankerModel(
        feature_names=FEATURES, coefficients=dict.fromkeys(FEATURES, 1.0), n_groups=5, n_pairs=20
    )
    with pytest.raises(ValueError, match="3 feature names"):
        model.score(np.zeros((2, 2)))
