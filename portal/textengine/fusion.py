"""Fusion of the sparse (TF-IDF) and dense (embedding) similarities of query rows to targets.

Measured on the development set (benchmarks/devset, dev half; `make bench` prints both on the
held-out half): min-max score fusion with 0.3 on TF-IDF and 0.7 on the embedding gave MRR 0.786,
reciprocal rank fusion (k=10) 0.781, TF-IDF alone 0.678, the embedding alone 0.723. The engine
uses score fusion: it keeps a score (not only a rank) that the rule signals can be added to.

Both signals are relative to the query's own best match (its best TF-IDF cosine, the range of
its dense similarities), so the rule weights weigh the same against a query whose best match
shares many words as against a paraphrase or an English text that shares none. On the absolute
cosine scale the median query's best fused text score was 0.21, and a field weight of 0.3
(±0.15) outweighed any text difference: the dev-half MRR of hybrid + rules fell to 0.405.
"""

from __future__ import annotations

import numpy as np

# Below this best TF-IDF cosine an issue shares next to no words with any resource: its TF-IDF
# scores are read against this floor instead, so a few stray shared words do not count as a
# perfect text match.
SPARSE_SCALE_FLOOR = 0.1
# A pair with no shared word and no common field still counts as tied together when its dense
# similarity is in the top fifth of the range.
SEMANTIC_TIE = 0.8


def minmax_rows(scores: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """Each row rescaled to 0…1 (a constant row becomes 0); in `scores` itself if `overwrite`."""
    low = scores.min(axis=1, keepdims=True)
    span = scores.max(axis=1, keepdims=True) - low
    # A constant row is all 0 after the subtraction, and the division leaves it so.
    out = np.subtract(scores, low, out=scores) if overwrite else scores - low
    return np.divide(out, span, out=out, where=span > 0)


def text_features(
    sparse_scores: np.ndarray,
    dense_scores: np.ndarray | None = None,
    *,
    reference_sparse: np.ndarray | None = None,
    reference_dense: np.ndarray | None = None,
    overwrite: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The text and semantic features of query rows × targets, each 0…1 and float32.

    text     = TF-IDF cosine / max(the row's best cosine, SPARSE_SCALE_FLOOR);
    semantic = the dense similarity min-max scaled over the row (None without dense scores).

    `reference_*` are the same query rows scored against the whole resource table, for callers
    that score a few targets only (one pair staff judge): the row's best and range are taken over
    the reference and the targets together, so a pair gets the values it has in a full run.
    `overwrite`: the features are computed in the score arrays themselves (float32, without a
    reference), which saves two 51 MB arrays per block of 128 x 100k pairs.
    """
    # The targets are scored last beside the reference, so their values are the row's tail.
    targets = sparse_scores.shape[1]
    sparse_all = _beside(reference_sparse, sparse_scores)
    scale = np.maximum(sparse_all.max(axis=1, keepdims=True), SPARSE_SCALE_FLOOR)
    if overwrite:
        text = np.divide(sparse_scores, scale, out=sparse_scores)
    else:
        text = (sparse_scores / scale).astype(np.float32, copy=False)
    if dense_scores is None:
        return text, None
    dense_all = _beside(reference_dense, dense_scores)
    semantic = minmax_rows(dense_all, overwrite=overwrite)[:, dense_all.shape[1] - targets :]
    return text, semantic.astype(np.float32, copy=False)


def _beside(reference: np.ndarray | None, scores: np.ndarray) -> np.ndarray:
    if reference is None or not reference.size:
        return scores
    return np.hstack([reference, scores])
