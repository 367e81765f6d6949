"""TF-IDF index over issue and resource texts, with bounded-memory cosine top-k.

The index is fitted once on the whole corpus so that issues and resources share one vocabulary
and one set of IDF weights; it is stored as a blob and loaded by whichever worker scores pairs.
"""

from __future__ import annotations

import hashlib
import pickle  # nosec B403
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from portal.textengine.analyzer import default_analyzer

# Document-frequency cut-offs are meaningless on a handful of documents (and sklearn rejects
# max_df * n < min_df), so tiny corpora such as a fresh install keep every term.
_MIN_DOCUMENTS_FOR_PRUNING = 20
# Dense score cells per chunk in top_k: 2**20 float32 cells = 4 MiB whatever the corpus size;
# bigger blocks measured slower (page faults on every fresh allocation), smaller ones no faster.
_MAX_SCORE_CELLS = 1 << 20

type Mask = np.ndarray | sparse.spmatrix | sparse.sparray


@dataclass
class TextIndex:
    """A fitted vectorizer plus lookups derived from it."""

    vectorizer: TfidfVectorizer

    def __getstate__(self) -> dict[str, object]:
        # Derived lookups rebuild in milliseconds; storing them would double the blob.
        return {"vectorizer": self.vectorizer}

    @cached_property
    def terms(self) -> np.ndarray:
        """Term of each matrix column."""
        return self.vectorizer.get_feature_names_out()

    @cached_property
    def version_hash(self) -> str:
        """Fingerprint of vocabulary and IDF, to tell whether stored vectors are still valid."""
        digest = hashlib.sha256()
        digest.update("\x1f".join(self.terms.tolist()).encode())
        digest.update(np.asarray(self.vectorizer.idf_, dtype=np.float64).tobytes())
        return digest.hexdigest()[:16]

    def to_bytes(self) -> bytes:
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def from_bytes(cls, data: bytes) -> TextIndex:
        """Load a blob from `to_bytes`. Never call this on data from outside the application."""
        index = pickle.loads(zlib.decompress(data))  # noqa: S301  # nosec B301
        if not isinstance(index, cls):
            raise TypeError(f"expected a pickled {cls.__name__}, got {type(index).__name__}")
        return index


def fit_index(
    *,
    documents: list[str],
    analyzer: Callable[[str], list[str]] | None = None,
    min_df: int = 2,
    max_df: float = 0.5,
) -> TextIndex:
    """Fit the TF-IDF vocabulary and IDF on every issue and resource text.

    min_df=2 drops terms found in a single document: they can never be shared by an issue and a
    resource, and would only dilute that document's norm. max_df=0.5 drops boilerplate such as
    地域 or 支援 that appears in most texts. Sublinear tf stops a long text that repeats a word
    from outweighing a short precise one.
    """
    if len(documents) < _MIN_DOCUMENTS_FOR_PRUNING:
        min_df, max_df = 1, 1.0
    vectorizer = TfidfVectorizer(
        analyzer=analyzer or default_analyzer(),
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        norm="l2",
        dtype=np.float32,
    )
    vectorizer.fit(documents)
    return TextIndex(vectorizer=vectorizer)


def transform(index: TextIndex, texts: list[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows of `texts` in the index's vocabulary."""
    return sparse.csr_matrix(index.vectorizer.transform(texts))


# Cost of the two ways to score a block of query rows against every target (measured on the
# 100k-resource benchmark, benchmarks/bench_matching.py: 553 terms, 24 per resource, 32 per
# issue): sparse x sparse ~36 ns per multiply-add (hashing, and a sparse result as large as the
# dense one when the texts share common words), targets x dense queries ~2.8 ns per stored
# target value and query row. A block of 128 issues took 1.97 s one way and 0.86 s the other.
_SPARSE_PRODUCT_NS = 36.0
_DENSE_PRODUCT_NS = 2.8


@dataclass
class Targets:
    """Target rows prepared for scoring many blocks of queries against all of them."""

    rows: sparse.csr_matrix  # (n_targets, n_terms), float32
    rows_t: sparse.csr_matrix  # its transpose, CSR
    document_frequency: np.ndarray  # (n_terms,) targets using each term

    @classmethod
    def of(cls, matrix: sparse.spmatrix | sparse.sparray) -> Targets:
        rows = sparse.csr_matrix(matrix, dtype=np.float32)
        return cls(
            rows=rows,
            rows_t=rows.T.tocsr(),
            document_frequency=np.bincount(rows.indices, minlength=rows.shape[1]),
        )

    def cosine(self, queries: sparse.csr_matrix) -> np.ndarray:
        """(n_queries, n_targets) float32 dot products of L2-normalised rows, by whichever
        product costs less for these queries: sparse x sparse when they share few terms with
        the targets, the targets times the queries made dense when they share many."""
        sparse_cost = _SPARSE_PRODUCT_NS * float(self.document_frequency[queries.indices].sum())
        dense_cost = _DENSE_PRODUCT_NS * float(self.rows.nnz) * queries.shape[0]
        if sparse_cost <= dense_cost:
            return (queries @ self.rows_t).toarray().astype(np.float32, copy=False)
        dense_queries = queries.T.toarray().astype(np.float32, copy=False)
        return _transposed(self.rows @ dense_queries)


def _transposed(matrix: np.ndarray, *, columns: int = 1024) -> np.ndarray:
    """A C-ordered copy of matrix.T, copied a band of rows at a time: a band stays in the CPU
    cache, so 100k x 128 float32 took 0.14 s against 1.2 s for np.ascontiguousarray(matrix.T)."""
    out = np.empty(matrix.shape[::-1], dtype=matrix.dtype)
    for start in range(0, matrix.shape[0], columns):
        out[:, start : start + columns] = matrix[start : start + columns].T
    return out


def best_columns(scores: np.ndarray, k: int, *, group: int = 1024) -> np.ndarray:
    """(rows, min(k, columns)) column indices of each row's k largest scores, unordered.

    Selects among the k column groups with the largest maxima only: every one of a row's top k
    lies in such a group (any value outside them is beaten by k group maxima). At 128 x 100k
    this took 0.18 s against 0.44 s for argpartition over whole rows.
    """
    rows, columns = scores.shape
    keep = min(k, columns)
    if columns <= group * keep:
        return np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
    whole = columns - columns % group  # the last, partial group is a candidate as it stands
    groups = scores[:, :whole].reshape(rows, -1, group)  # a view: no copy of the block
    best_groups = np.argpartition(-groups.max(axis=2), keep - 1, axis=1)[:, :keep]
    values = np.hstack(
        [
            np.take_along_axis(groups, best_groups[:, :, None], axis=1).reshape(rows, -1),
            scores[:, whole:],
        ]
    )
    where = np.hstack(
        [
            (best_groups[:, :, None] * group + np.arange(group)).reshape(rows, -1),
            np.broadcast_to(np.arange(whole, columns), (rows, columns - whole)),
        ]
    )
    chosen = np.argpartition(-values, keep - 1, axis=1)[:, :keep]
    return np.take_along_axis(where, chosen, axis=1)


def top_k(
    *,
    query_matrix: sparse.spmatrix | sparse.sparray,
    target_matrix: sparse.spmatrix | sparse.sparray,
    k: int,
    mask: Mask | None = None,
) -> list[list[tuple[int, float]]]:
    """The `k` best targets of every query row by cosine, best first, as (target row, score).

    `mask` (dense bool or sparse, shape queries x targets) marks the allowed pairs; hard filters
    are applied before selection so they never cost a slot. Pairs sharing no term (score 0) are
    not neighbours and are left out, so a row may hold fewer than `k` entries. Scores are computed
    in row chunks whose dense block is at most 2**20 cells, so memory does not grow with the
    number of queries.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    n_queries, n_targets = query_matrix.shape[0], target_matrix.shape[0]
    if mask is not None and mask.shape != (n_queries, n_targets):
        raise ValueError(f"mask shape {mask.shape} != ({n_queries}, {n_targets})")
    if n_targets == 0:
        return [[] for _ in range(n_queries)]
    allowed: sparse.csr_matrix | np.ndarray | None = None
    if mask is not None:
        allowed = sparse.csr_matrix(mask) if sparse.issparse(mask) else np.asarray(mask, bool)
    queries = sparse.csr_matrix(query_matrix)
    # Transposed once here; a CSC right operand would be converted again for every chunk.
    targets_t = sparse.csr_matrix(target_matrix).T.tocsr()
    keep = min(k, n_targets)
    rows_per_chunk = max(1, _MAX_SCORE_CELLS // n_targets)
    results: list[list[tuple[int, float]]] = []
    for start in range(0, n_queries, rows_per_chunk):
        stop = min(start + rows_per_chunk, n_queries)
        scores = (queries[start:stop] @ targets_t).toarray()
        if allowed is not None:
            scores[~_allowed_rows(allowed, start, stop)] = 0.0
        results.extend(_best_per_row(scores, keep))
    return results


def _allowed_rows(allowed: sparse.csr_matrix | np.ndarray, start: int, stop: int) -> np.ndarray:
    if isinstance(allowed, np.ndarray):
        return allowed[start:stop]
    return allowed[start:stop].toarray().astype(bool)


def _best_per_row(scores: np.ndarray, keep: int) -> Iterator[list[tuple[int, float]]]:
    n_columns = scores.shape[1]
    if keep < n_columns:
        columns = np.argpartition(scores, n_columns - keep, axis=1)[:, n_columns - keep :]
    else:
        columns = np.broadcast_to(np.arange(n_columns), scores.shape)
    values = np.take_along_axis(scores, columns, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    columns = np.take_along_axis(columns, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    positive = (values > 0).sum(axis=1)
    for row_columns, row_values, count in zip(
        columns.tolist(), values.tolist(), positive.tolist(), strict=True
    ):
        yield list(zip(row_columns[:count], row_values[:count], strict=True))


def explain_terms(
    *,
    index: TextIndex,
    query_vector_row: sparse.spmatrix | sparse.sparray | np.ndarray,
    target_vector_row: sparse.spmatrix | sparse.sparray | np.ndarray,
    limit: int = 5,
) -> list[tuple[str, float]]:
    """Shared terms that contributed most to the pair's cosine, with their share of it.

    The contributions of all shared terms sum to the cosine, so they can be shown as "why this
    match" without further scaling.
    """
    query = l2_normalize(sparse.csr_matrix(query_vector_row))
    target = l2_normalize(sparse.csr_matrix(target_vector_row))
    if query.shape[0] != 1 or target.shape[0] != 1:
        raise ValueError("explain_terms takes one query row and one target row")
    shared = sparse.csr_matrix(query.multiply(target))
    shared.eliminate_zeros()
    best = np.argsort(-shared.data, kind="stable")[:limit]
    return [(str(index.terms[shared.indices[i]]), float(shared.data[i])) for i in best]
