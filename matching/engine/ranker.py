"""Ranking of candidate resources for an issue from pair features.

A new portal has no outcomes to learn from, so scores start as a hand-weighted sum. Once
coordinators have accepted, held and rejected enough proposals, a pairwise logistic regression
learns the weights, and it replaces the hand weights only if it ranks held-out issues better.

Labels are graded outcomes of a proposed pair: 3 completed project, 2 approved/accepted,
1 held, 0 rejected. Labels of 2 and above count as relevant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

RELEVANT_LABEL = 2
MetricDict = dict[str, float]


def _feature_matrix(features: np.ndarray, feature_names: list[str]) -> np.ndarray:
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(feature_names):
        raise ValueError(
            f"features of shape {matrix.shape} do not match {len(feature_names)} feature names"
        )
    return matrix


def hand_weighted_score(
    features: np.ndarray, weights: Mapping[str, float], feature_names: list[str]
) -> np.ndarray:
    """Cold-start score: a weighted sum of named feature columns; unweighted columns count 0."""
    unknown = set(weights) - set(feature_names)
    if unknown:  # a misspelt weight would otherwise be ignored without a trace
        raise ValueError(f"weights for unknown features: {sorted(unknown)}")
    vector = np.array([weights.get(name, 0.0) for name in feature_names], dtype=np.float64)
    return _feature_matrix(features, feature_names) @ vector


@dataclass(frozen=True)
class ValidationResult:
    """Held-out ranking quality of the learned model against the hand-weighted baseline."""

    learned: MetricDict | None
    baseline: MetricDict
    use_learned: bool


@dataclass(frozen=True)
class RankerModel:
    """Linear scorer learned from outcomes; `to_dict` output fits in a JSON field.

    `validation` records the held-out comparison that decided whether to use it; attach it with
    `dataclasses.replace(model, validation=validate_against_baseline(...))`.
    """

    feature_names: list[str]
    coefficients: dict[str, float]
    n_groups: int
    n_pairs: int
    validation: ValidationResult | None = None

    def __post_init__(self) -> None:
        if set(self.coefficients) != set(self.feature_names):
            raise ValueError("coefficients must name exactly the model's features")

    def score(self, features: np.ndarray) -> np.ndarray:
        """Scores of feature rows whose columns follow `feature_names`."""
        vector = np.array([self.coefficients[name] for name in self.feature_names])
        return _feature_matrix(features, self.feature_names) @ vector

    def to_dict(self) -> dict[str, Any]:
        # feature_names is kept as a list: PostgreSQL jsonb does not preserve key order.
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankerModel:
        validation = data.get("validation")
        return cls(
            feature_names=list(data["feature_names"]),
            coefficients={name: float(value) for name, value in data["coefficients"].items()},
            n_groups=int(data["n_groups"]),
            n_pairs=int(data["n_pairs"]),
            validation=ValidationResult(**validation) if validation is not None else None,
        )


def _group_members(groups: np.ndarray) -> Iterator[np.ndarray]:
    """Row indices of each group, in first-row order inside the group."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    yield from np.split(order, np.cumsum(counts)[:-1])


def _pair_differences(
    features: np.ndarray, labels: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, int]:
    """Feature differences (better minus worse) of every differently-labelled pair in a group."""
    differences = []
    for members in _group_members(groups):
        member_labels = labels[members]
        better, worse = np.nonzero(member_labels[:, None] > member_labels[None, :])
        if better.size:
            differences.append(features[members[better]] - features[members[worse]])
    if not differences:
        return np.empty((0, features.shape[1])), 0
    return np.concatenate(differences), len(differences)


def train_pairwise_ranker(
    *,
    features: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    feature_names: list[str],
    min_groups: int = 5,
    min_pairs: int = 20,
) -> RankerModel | None:
    """Learn feature weights from which candidate beat which within the same issue.

    Comparing only within a group cancels everything the candidates of one issue share (how
    attractive the issue is, how busy its ward is), leaving what makes one resource fit better.
    Returns None with fewer than `min_groups` issues or `min_pairs` pairs to learn from.
    """
    matrix = _feature_matrix(features, feature_names)
    differences, n_groups = _pair_differences(matrix, np.asarray(labels), np.asarray(groups))
    n_pairs = len(differences)
    if n_groups < min_groups or n_pairs < min_pairs:
        return None
    # Flipping every other pair gives the classifier two classes; without an intercept the
    # model stays antisymmetric, score(a) - score(b) = -(score(b) - score(a)).
    direction = np.where(np.arange(n_pairs) % 2 == 0, 1.0, -1.0)
    # Scaled so the regularisation treats a 0/1 flag and a distance in km alike.
    scale = np.sqrt(np.mean(differences**2, axis=0))
    scale[scale == 0] = 1.0
    classifier = LogisticRegression(fit_intercept=False, class_weight="balanced", max_iter=1000)
    classifier.fit(differences * direction[:, None] / scale, direction > 0)
    weights = classifier.coef_[0] / scale
    return RankerModel(
        feature_names=list(feature_names),
        coefficients={name: float(w) for name, w in zip(feature_names, weights, strict=True)},
        n_groups=n_groups,
        n_pairs=n_pairs,
    )


def evaluate_ranking(*, scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> MetricDict:
    """MRR, P@5 and nDCG@10 averaged over groups that contain a relevant item.

    Gains are graded (2**label - 1), so a completed project ranked first counts more than an
    accepted proposal. P@5 always divides by 5, so short candidate lists cannot look precise.
    Ties keep input order.
    """
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    reciprocal_ranks, precisions, ndcgs = [], [], []
    for members in _group_members(np.asarray(groups)):
        ranked = labels[members[np.argsort(-scores[members], kind="stable")]]
        relevant = ranked >= RELEVANT_LABEL
        if not relevant.any():
            continue
        reciprocal_ranks.append(1.0 / (np.argmax(relevant) + 1))
        precisions.append(relevant[:5].sum() / 5)
        discounts = 1.0 / np.log2(np.arange(2, min(len(ranked), 10) + 2))
        ideal = np.sort(ranked)[::-1]
        dcg = np.sum((2.0 ** ranked[:10] - 1) * discounts)
        ndcgs.append(dcg / np.sum((2.0 ** ideal[:10] - 1) * discounts))
    if not ndcgs:
        return {"mrr": 0.0, "p_at_5": 0.0, "ndcg_at_10": 0.0, "groups": 0.0}
    return {
        "mrr": float(np.mean(reciprocal_ranks)),
        "p_at_5": float(np.mean(precisions)),
        "ndcg_at_10": float(np.mean(ndcgs)),
        "groups": float(len(ndcgs)),
    }


def validate_against_baseline(
    *,
    features: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    feature_names: list[str],
    baseline_weights: Mapping[str, float],
    n_splits: int = 5,
    min_groups: int = 5,
    min_pairs: int = 20,
) -> ValidationResult:
    """Compare learned and hand weights on issues the learned model never saw.

    Folds split by issue so that no pair of a held-out issue leaks into training. Every issue is
    scored once by the model trained without it, and both rankings are measured on the same
    out-of-fold scores. `use_learned` is True only if the learned nDCG@10 is strictly higher.
    """
    matrix = _feature_matrix(features, feature_names)
    labels, groups = np.asarray(labels), np.asarray(groups)
    baseline = evaluate_ranking(
        scores=hand_weighted_score(matrix, baseline_weights, feature_names),
        labels=labels,
        groups=groups,
    )
    n_folds = min(n_splits, len(np.unique(groups)))
    if n_folds < 2:
        return ValidationResult(learned=None, baseline=baseline, use_learned=False)
    held_out = np.empty(len(labels))
    for train, test in GroupKFold(n_splits=n_folds).split(matrix, labels, groups):
        model = train_pairwise_ranker(
            features=matrix[train],
            labels=labels[train],
            groups=groups[train],
            feature_names=feature_names,
            min_groups=min_groups,
            min_pairs=min_pairs,
        )
        if model is None:  # a fold without enough outcomes: too little data to trust
            return ValidationResult(learned=None, baseline=baseline, use_learned=False)
        held_out[test] = model.score(matrix[test])
    learned = evaluate_ranking(scores=held_out, labels=labels, groups=groups)
    return ValidationResult(
        learned=learned,
        baseline=baseline,
        use_learned=learned["ndcg_at_10"] > baseline["ndcg_at_10"],
    )
