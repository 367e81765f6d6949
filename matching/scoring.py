"""The engine at work: load the stored index, vectorise, filter, score and explain a block of issues.

Reads only; matching.runs.services writes the results. A worker keeps the loaded engine of one
EngineVersion in memory and loads a newer one when a run (or refresh) asks for it.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from issues.models import Issue
from issues.similarity import issue_document
from matching.engine.ranker import RankerModel
from matching.rules import (
    BLOCK_ROWS,
    FEATURES,
    Lookups,
    ResourceTable,
    field_matches,
    hard_filter_mask,
    load_issues,
    load_resources,
    resource_document,
    rule_features,
    rule_score_block,
    rules_fired,
    text_weights,
)
from partners.models import Resource
from portal.textengine.analyzer import explainable
from portal.textengine.embedding import PASSAGE, QUERY, embedder, embeddings_for
from portal.textengine.fusion import SEMANTIC_TIE, text_features
from portal.textengine.index import Targets, TextIndex, best_columns, transform

TERMS_SHOWN = 5


def issue_texts(issue_ids: list[int] | None = None) -> tuple[list[int], list[str]]:
    qs = Issue.objects.order_by("pk")
    if issue_ids is not None:
        qs = qs.filter(pk__in=issue_ids)
    rows = qs.values_list("pk", "title", "description", "field__name")
    ids, texts = [], []
    for pk, title, description, field_name in rows:
        ids.append(pk)
        texts.append(issue_document(title=title, description=description, field_name=field_name))
    return ids, texts


def resource_texts(resource_ids: list[int] | None = None) -> tuple[list[int], list[str]]:
    qs = Resource.objects.order_by("pk")
    if resource_ids is not None:
        qs = qs.filter(pk__in=resource_ids)
    field_names: dict[int, list[str]] = {}
    through = Resource.fields.through.objects.values_list("resource_id", "field__name")
    if resource_ids is not None:
        through = through.filter(resource_id__in=resource_ids)
    for resource_id, name in through:
        field_names.setdefault(resource_id, []).append(name)
    ids, texts = [], []
    for pk, title, description, csr, research in qs.values_list(
        "pk",
        "title",
        "description",
        "organization__csr_policy",
        "organization__research_fields",
    ):
        ids.append(pk)
        texts.append(
            resource_document(
                title=title,
                description=description,
                field_names=sorted(field_names.get(pk, [])),
                csr_policy=csr,
                research=research,
            )
        )
    return ids, texts


# ------------------------------------------------------------------------ stored vectors


def vectors_to_bytes(
    *,
    issue_ids: list[int],
    issue_matrix: sparse.csr_matrix,
    resource_ids: list[int],
    resource_matrix: sparse.csr_matrix,
    issue_dense: np.ndarray | None = None,
    resource_dense: np.ndarray | None = None,
) -> bytes:
    """TF-IDF rows and, when an embedder ran, the embeddings of every issue and resource.

    Embeddings are kept as float16: half the blob, and cosines move by less than 1e-3.
    """
    buffer = io.BytesIO()
    arrays: dict[str, np.ndarray] = {
        "issue_ids": np.asarray(issue_ids, dtype=np.int64),
        "resource_ids": np.asarray(resource_ids, dtype=np.int64),
    }
    if issue_dense is not None and resource_dense is not None:
        arrays["i_dense"] = np.asarray(issue_dense, dtype=np.float16)
        arrays["r_dense"] = np.asarray(resource_dense, dtype=np.float16)
    for prefix, matrix in (("i", issue_matrix), ("r", resource_matrix)):
        matrix = sparse.csr_matrix(matrix, dtype=np.float32)
        arrays[f"{prefix}_data"] = matrix.data
        arrays[f"{prefix}_indices"] = matrix.indices
        arrays[f"{prefix}_indptr"] = matrix.indptr
        arrays[f"{prefix}_shape"] = np.asarray(matrix.shape, dtype=np.int64)
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def vectors_from_bytes(data: bytes | memoryview) -> dict[str, Any]:
    if not data:
        return {}
    loaded = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    out: dict[str, Any] = {
        "issue_ids": loaded["issue_ids"].tolist(),
        "resource_ids": loaded["resource_ids"].tolist(),
    }
    for prefix, name in (("i", "issue"), ("r", "resource")):
        out[f"{name}_matrix"] = sparse.csr_matrix(
            (loaded[f"{prefix}_data"], loaded[f"{prefix}_indices"], loaded[f"{prefix}_indptr"]),
            shape=tuple(loaded[f"{prefix}_shape"].tolist()),
        )
        if f"{prefix}_dense" in loaded.files:
            out[f"{name}_dense"] = loaded[f"{prefix}_dense"].astype(np.float32)
    return out


@dataclass
class TextVectors:
    """Rows of some issues or resources: TF-IDF always, embeddings when the engine has them."""

    sparse: sparse.csr_matrix
    dense: np.ndarray | None


@dataclass
class LoadedEngine:
    version_id: int
    created_at: Any
    index: TextIndex
    issue_rows: dict[int, int]
    issue_matrix: sparse.csr_matrix
    resource_rows: dict[int, int]
    resource_matrix: sparse.csr_matrix
    ranker: RankerModel | None = None
    issue_dense: np.ndarray | None = None
    resource_dense: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def semantic(self) -> bool:
        """Whether this engine ranks with embeddings (fitted with an embedder that still loads)."""
        return self.resource_dense is not None and embedder() is not None

    def issue_vectors(self, issue_ids: list[int]) -> TextVectors:
        """Stored rows for issues unchanged since the fit; fresh rows for edited or new ones."""
        changed = set(
            Issue.objects.filter(pk__in=issue_ids, updated_at__gt=self.created_at).values_list(
                "pk", flat=True
            )
        )
        return self._rows(
            issue_ids, changed, self.issue_rows, self.issue_matrix, self.issue_dense, QUERY
        )

    def resource_vectors(self, resource_ids: np.ndarray) -> TextVectors:
        changed = set(
            Resource.objects.filter(updated_at__gt=self.created_at).values_list("pk", flat=True)
        )
        return self._rows(
            resource_ids.tolist(),
            changed,
            self.resource_rows,
            self.resource_matrix,
            self.resource_dense,
            PASSAGE,
        )

    def _rows(
        self,
        ids: list[int],
        changed: set[int],
        positions: dict[int, int],
        matrix: sparse.csr_matrix,
        dense: np.ndarray | None,
        role: str,
    ) -> TextVectors:
        """Stored rows in `ids` order; texts changed since the fit, or new, vectorised again."""
        stored = [positions.get(pk, -1) for pk in ids]
        picked = [max(p, 0) for p in stored]  # new ones are overwritten below
        if matrix.shape[0]:
            rows = sparse.csr_matrix(matrix[picked])
        else:
            rows = sparse.csr_matrix((len(ids), matrix.shape[1]), dtype=np.float32)
        dense_rows = dense[picked] if self.semantic and dense is not None else None
        fresh_ids = [pk for pk, p in zip(ids, stored, strict=True) if pk in changed or p < 0]
        if fresh_ids:
            texts_of = issue_texts if role == QUERY else resource_texts
            fresh_order, texts = texts_of(fresh_ids)
            if texts:
                position = {pk: i for i, pk in enumerate(ids)}
                targets = [position[pk] for pk in fresh_order]
                rows = sparse.lil_matrix(rows)
                rows[targets] = transform(self.index, texts)
                rows = sparse.csr_matrix(rows)
                if dense_rows is not None:
                    fresh_dense = embeddings_for(texts, role=role)
                    if fresh_dense is not None:
                        dense_rows[targets] = fresh_dense
        return TextVectors(sparse=rows, dense=dense_rows)


_cache: dict[str, LoadedEngine] = {}
_cache_lock = threading.Lock()


def engine_load(version_id: int | None = None) -> LoadedEngine | None:
    """The engine of `version_id` (default: the newest), cached per process by version id."""
    from matching.models import EngineVersion

    if version_id is None:
        version_id = (
            EngineVersion.objects.order_by("-created_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if version_id is None:
            return None
    cached = _cache.get("engine")
    if cached is not None and cached.version_id == version_id:
        return cached
    with _cache_lock:
        version = EngineVersion.objects.filter(pk=version_id).first()
        if version is None:
            return None
        vectors = vectors_from_bytes(version.vectors_blob)
        ranker = None
        if version.ranker and version.ranker.get("validation", {}).get("use_learned"):
            ranker = RankerModel.from_dict(version.ranker)
        engine = LoadedEngine(
            version_id=version.pk,
            created_at=version.created_at,
            index=TextIndex.from_bytes(bytes(version.index_blob)),
            issue_rows={pk: i for i, pk in enumerate(vectors.get("issue_ids", []))},
            issue_matrix=vectors.get("issue_matrix", sparse.csr_matrix((0, 0))),
            resource_rows={pk: i for i, pk in enumerate(vectors.get("resource_ids", []))},
            resource_matrix=vectors.get("resource_matrix", sparse.csr_matrix((0, 0))),
            ranker=ranker,
            issue_dense=vectors.get("issue_dense"),
            resource_dense=vectors.get("resource_dense"),
        )
        _cache["engine"] = engine
        return engine


def engine_cache_clear() -> None:
    _cache.clear()
    _resource_cache.clear()


# ------------------------------------------------------------------------ scoring


@dataclass
class PairResult:
    resource_id: int
    organization_id: int
    rank: int
    score: float
    components: dict[str, Any]
    explanation: dict[str, Any]


@dataclass
class MatchContext:
    """Everything a chunk needs besides its issues: loaded once per chunk (or per process run)."""

    engine: LoadedEngine
    lookups: Lookups
    resources: ResourceTable
    resource_matrix: sparse.csr_matrix
    targets: Targets  # the resource rows prepared for scoring blocks of issues against
    # (dim, n_resources) embeddings, transposed and contiguous once per resource table rather
    # than per chunk (0.24 s at 10k resources); None: TF-IDF only.
    resource_dense_t: np.ndarray | None
    coefficients: dict[str, float]
    model: str  # "hand" or "learned"
    top_k: int


_resource_cache: dict[str, Any] = {}


def resources_fingerprint() -> tuple:
    """Changes whenever anything the resource table is built from changes (3 cheap queries)."""
    from django.db.models import Count, Max, Q

    from matching.projects.models import PROJECT_LIVE, Project
    from partners.models import Organization

    resources = Resource.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    organizations = Organization.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    projects = Project.objects.aggregate(
        n=Count("pk"),
        active=Count("pk", filter=Q(status__in=PROJECT_LIVE)),
        completed=Count("pk", filter=Q(status=Project.Status.COMPLETED)),
    )
    return (
        tuple(resources.values()),
        tuple(organizations.values()),
        tuple(projects.values()),
    )


def context_build(
    *, engine: LoadedEngine, weights: dict[str, float], top_k: int, allow_learned: bool = True
) -> MatchContext:
    lookups = Lookups.load()
    key = (engine.version_id, resources_fingerprint())
    cached = _resource_cache.get("entry")
    if cached is not None and cached[0] == key:
        resources, vectors, targets, dense_t = cached[1]
    else:
        resources = load_resources(lookups)
        vectors = engine.resource_vectors(resources.ids)
        targets = Targets.of(vectors.sparse)
        dense_t = None if vectors.dense is None else np.ascontiguousarray(vectors.dense.T)
        _resource_cache["entry"] = (key, (resources, vectors, targets, dense_t))
    if engine.ranker is not None and allow_learned:
        coefficients, model = dict(engine.ranker.coefficients), "learned"
    else:
        coefficients = text_weights(weights, semantic=vectors.dense is not None)
        model = "hand"
    return MatchContext(
        engine=engine,
        lookups=lookups,
        resources=resources,
        resource_matrix=vectors.sparse,
        targets=targets,
        resource_dense_t=dense_t,
        coefficients=coefficients,
        model=model,
        top_k=top_k,
    )


def _terms_of_rows(index: TextIndex, shared: sparse.csr_matrix) -> list[list[list[Any]]]:
    """Top terms of each row of an element-wise product of issue and resource rows.

    The products of all shared terms sum to the pair's cosine (as explain_terms reports them);
    only content words are shown (portal.textengine.analyzer.explainable).
    """
    terms = index.terms
    out = []
    for r in range(shared.shape[0]):
        start, stop = shared.indptr[r], shared.indptr[r + 1]
        data, cols = shared.data[start:stop], shared.indices[start:stop]
        best = [
            b
            for b in np.argsort(-data, kind="stable")
            if data[b] > 0 and explainable(str(terms[cols[b]]))
        ][:TERMS_SHOWN]
        out.append([[str(terms[cols[b]]), round(float(data[b]), 4)] for b in best])
    return out


def compute_matches(issue_ids: list[int], ctx: MatchContext) -> dict[int, list[PairResult]]:
    """Ranked candidates of each issue (issues without any candidate map to [])."""
    issues = load_issues(issue_ids, ctx.lookups)
    results: dict[int, list[PairResult]] = {pk: [] for pk in issue_ids}
    if not len(issues) or not len(ctx.resources):
        return results
    queries = ctx.engine.issue_vectors(issues.ids)
    dense_t = ctx.resource_dense_t if queries.dense is not None else None
    k = max(1, ctx.top_k)
    for start in range(0, len(issues), BLOCK_ROWS):
        rows = slice(start, min(start + BLOCK_ROWS, len(issues)))
        block = queries.sparse[rows]
        cosine = ctx.targets.cosine(block)
        dense = None
        if dense_t is not None and queries.dense is not None:
            dense = queries.dense[rows] @ dense_t
        text, semantic = text_features(cosine, dense, overwrite=True)
        score = _score_block(issues, ctx, rows, text, semantic)
        allowed = hard_filter_mask(issues, ctx.resources, rows)
        # Something must tie the pair together: shared words, the same field, or a meaning
        # close to the issue's best matches.
        tied = (text > 0) | field_matches(issues, ctx.resources, rows)
        if semantic is not None:
            tied |= semantic >= SEMANTIC_TIE * semantic.max(axis=1, keepdims=True)
        allowed &= tied
        refused = np.logical_not(allowed, out=allowed)
        np.copyto(score, -np.inf, where=refused)
        top = best_columns(score, k)
        top_scores = np.take_along_axis(score, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        finite = np.isfinite(np.take_along_axis(score, top, axis=1))
        pair_rows, pair_slots = np.nonzero(finite)
        pair_cols = top[pair_rows, pair_slots]
        # Shared terms of every kept pair of the block in one sparse product.
        shared_all = sparse.csr_matrix(block[pair_rows].multiply(ctx.resource_matrix[pair_cols]))
        terms_all = _terms_of_rows(ctx.engine.index, shared_all)
        offsets = np.concatenate([[0], np.cumsum(finite.sum(axis=1))])
        kept = _pair_values(issues, ctx.resources, start, pair_rows, pair_cols, text, semantic)
        for b in range(top.shape[0]):
            i = start + b
            columns = [int(c) for c in top[b][finite[b]]]
            if not columns:
                continue
            terms = terms_all[offsets[b] : offsets[b + 1]]
            pairs = []
            for rank, (j, shared) in enumerate(zip(columns, terms, strict=True), start=1):
                p = offsets[b] + rank - 1
                values = {name: round(float(kept[name][p]), 4) for name in FEATURES}
                contributions = {
                    name: round(float(ctx.coefficients.get(name, 0.0)) * values[name], 4)
                    for name in FEATURES
                }
                pairs.append(
                    PairResult(
                        resource_id=int(ctx.resources.ids[j]),
                        organization_id=int(ctx.resources.org_ids[j]),
                        rank=rank,
                        score=round(float(score[b, j]), 4),
                        components={
                            "features": values,
                            "contributions": contributions,
                            "model": ctx.model,
                        },
                        explanation={
                            "terms": shared,
                            "rules": rules_fired(
                                issues=issues,
                                i=i,
                                resources=ctx.resources,
                                j=j,
                                values=values,
                                lookups=ctx.lookups,
                            ),
                        },
                    )
                )
            results[issues.ids[i]] = pairs
    return results


def pair_features(
    *, issue_id: int, resource_ids: list[int], engine: LoadedEngine
) -> dict[int, dict[str, float]]:
    """resource id → the feature values (FEATURES) of its pair with the issue, as a candidate
    would carry them, whether or not the hard filters let the pair through.

    For pairs staff judge that the engine did not rank (a partner's own proposal), so that the
    decision feeds the learned ranker like a decision on a candidate.
    """
    lookups = Lookups.load()
    resources = load_resources(lookups, resource_ids=resource_ids)
    issues = load_issues([issue_id], lookups)
    if not len(issues) or not len(resources):
        return {}
    queries = engine.issue_vectors(issues.ids)
    targets = engine.resource_vectors(resources.ids)
    cosine = sparse.csr_matrix(queries.sparse @ targets.sparse.T).toarray().astype(np.float32)
    # The issue's best match and range come from the whole resource table, as in a full run.
    reference = sparse.csr_matrix(queries.sparse @ engine.resource_matrix.T).toarray()
    dense = reference_dense = None
    if queries.dense is not None and targets.dense is not None:
        dense = queries.dense @ targets.dense.T
        if engine.resource_dense is not None:
            reference_dense = queries.dense @ engine.resource_dense.T
    text, semantic = text_features(
        cosine, dense, reference_sparse=reference, reference_dense=reference_dense
    )
    columns = np.arange(len(resources))
    features = _pair_values(issues, resources, 0, np.zeros_like(columns), columns, text, semantic)
    return {
        int(resource_id): {name: round(float(features[name][j]), 4) for name in FEATURES}
        for j, resource_id in enumerate(resources.ids.tolist())
    }


def _score_block(
    issues, ctx: MatchContext, rows: slice, text: np.ndarray, semantic: np.ndarray | None
) -> np.ndarray:
    """(block, n_resources) float32: the weighted sum of all FEATURES of every pair."""
    score = rule_score_block(issues, ctx.resources, rows, ctx.coefficients)
    for name, values in (("text", text), ("semantic", semantic)):
        weight = ctx.coefficients.get(name, 0.0)
        if weight and values is not None:
            score += np.float32(weight) * values
    return score


def _pair_values(
    issues,
    resources: ResourceTable,
    start: int,
    rows: np.ndarray,
    j: np.ndarray,
    text: np.ndarray,
    semantic: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Every feature of the pairs (issue start + rows[p], resource column j[p]), each (pairs,);
    `text` and `semantic` are the block's that starts at issue `start`."""
    return {
        "text": text[rows, j],
        "semantic": np.zeros(len(j), np.float32) if semantic is None else semantic[rows, j],
        **rule_features(issues, resources, start + rows, j),
    }


def max_score(coefficients: dict[str, float]) -> float:
    """The score of a pair with every feature at 1 (scales score bars to 0…100 %)."""
    return max(sum(max(0.0, float(v)) for v in coefficients.values()), 1e-9)
