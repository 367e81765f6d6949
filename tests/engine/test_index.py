"""TF-IDF index, chunked top-k and term explanations."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize as l2_normalize

from portal.textengine import index as index_module
from portal.textengine.analyzer import char_ngrams
from portal.textengine.index import TextIndex, explain_terms, fit_index, top_k, transform

ISSUES = [
    "一人暮らしの高齢者が増え、町会だけでは見守りが行き届きません。高齢者の見守りと安否確認に"
    "協力してくれる企業を探しています。",
    "子育て世帯が気軽に相談できる場所と、一時預かり保育が足りません。",
    "町会の防災訓練への参加者が減っています。若い世代も参加できる訓練を企画したいです。",
]
RESOURCES = [
    "センサーを使った高齢者見守りサービスを提供しています。一人暮らし高齢者の安否確認の実績が"
    "あります。",
    "保育士が一時預かり保育と子育て相談を行います。",
    "謎解きを取り入れた防災訓練プログラムを企画し、若い世代の参加を増やします。",
    "商店街のにぎわいづくりとマルシェの開催。",
]


@pytest.fixture(scope="module")
def fitted() -> tuple[TextIndex, sparse.csr_matrix, sparse.csr_matrix]:
    index = fit_index(documents=ISSUES + RESOURCES)
    return index, transform(index, ISSUES), transform(index, RESOURCES)


def brute_force(
    queries: sparse.csr_matrix, targets: sparse.csr_matrix, k: int, allowed: np.ndarray
) -> list[list[tuple[int, float]]]:
    scores = np.where(allowed, (queries @ targets.T).toarray(), 0.0)
    expected = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:k]
        expected.append([(int(i), float(row[i])) for i in order if row[i] > 0])
    return expected


def assert_same_neighbours(
    found: list[list[tuple[int, float]]], expected: list[list[tuple[int, float]]]
) -> None:
    assert [[i for i, _ in row] for row in found] == [[i for i, _ in row] for row in expected]
    for found_row, expected_row in zip(found, expected, strict=True):
        np.testing.assert_allclose(
            [s for _, s in found_row], [s for _, s in expected_row], rtol=1e-5
        )


def test_each_issue_finds_its_resource_first(fitted) -> None:
    _, issues, resources = fitted
    neighbours = top_k(query_matrix=issues, target_matrix=resources, k=2)
    assert [row[0][0] for row in neighbours] == [0, 1, 2]
    elderly = dict(neighbours[0])
    assert elderly[0] > elderly.get(1, 0.0)  # 見守りサービス above 子育て
    assert all(score > 0 for row in neighbours for _, score in row)


def test_rows_are_sorted_and_leave_out_unrelated_targets(fitted) -> None:
    _, issues, resources = fitted
    for row in top_k(query_matrix=issues, target_matrix=resources, k=10):
        scores = [score for _, score in row]
        assert scores == sorted(scores, reverse=True)
        assert 3 not in dict(row)  # the 商店街 resource shares no term with any issue


@pytest.mark.parametrize("as_sparse", [False, True])
def test_mask_excludes_pairs_before_selection(fitted, as_sparse: bool) -> None:
    _, issues, resources = fitted
    allowed = np.ones((len(ISSUES), len(RESOURCES)), dtype=bool)
    allowed[0, 0] = False
    mask = sparse.csr_matrix(allowed) if as_sparse else allowed
    neighbours = top_k(query_matrix=issues, target_matrix=resources, k=1, mask=mask)
    assert neighbours[0] == [] or neighbours[0][0][0] != 0
    assert neighbours[1][0][0] == 1


def test_mask_of_wrong_shape_is_rejected(fitted) -> None:
    _, issues, resources = fitted
    with pytest.raises(ValueError, match="mask shape"):
        top_k(query_matrix=issues, target_matrix=resources, k=1, mask=np.ones((1, 1), bool))


@pytest.mark.parametrize("k", [1, 7, 1000])
def test_top_k_equals_brute_force(monkeypatch: pytest.MonkeyPatch, k: int) -> None:
    monkeypatch.setattr(index_module, "_MAX_SCORE_CELLS", 4_000)  # many chunks, odd sizes
    rng = np.random.default_rng(3)
    queries = l2_normalize(sparse.random(230, 400, density=0.03, format="csr", rng=rng))
    targets = l2_normalize(sparse.random(310, 400, density=0.03, format="csr", rng=rng))
    allowed = rng.random((230, 310)) < 0.7
    for mask in (None, allowed, sparse.coo_matrix(allowed)):
        expected_allowed = np.ones_like(allowed) if mask is None else allowed
        found = top_k(query_matrix=queries, target_matrix=targets, k=k, mask=mask)
        assert_same_neighbours(found, brute_force(queries, targets, k, expected_allowed))


def test_top_k_without_targets() -> None:
    queries = sparse.csr_matrix(np.eye(2, 3))
    assert top_k(query_matrix=queries, target_matrix=sparse.csr_matrix((0, 3)), k=5) == [[], []]


def test_explain_terms_names_shared_terms(fitted) -> None:
    index, issues, resources = fitted
    terms = explain_terms(
        index=index, query_vector_row=issues[0], target_vector_row=resources[0], limit=10
    )
    names = [name for name, _ in terms]
    assert {"高齢者", "見守る", "安否", "確認"} <= set(names)
    contributions = [value for _, value in terms]
    assert contributions == sorted(contributions, reverse=True)
    cosine = (issues[0] @ resources[0].T).toarray()[0, 0]
    assert sum(contributions) == pytest.approx(cosine, rel=1e-5)
    unrelated = explain_terms(
        index=index, query_vector_row=issues[0], target_vector_row=resources[3]
    )
    assert unrelated == []


def test_explain_terms_limit_and_dense_rows(fitted) -> None:
    index, issues, resources = fitted
    terms = explain_terms(
        index=index,
        query_vector_row=issues[0].toarray() * 3,  # unnormalised dense rows are accepted too
        target_vector_row=resources[0].toarray(),
        limit=2,
    )
    assert len(terms) == 2
    assert terms == explain_terms(
        index=index, query_vector_row=issues[0], target_vector_row=resources[0], limit=2
    )


def test_index_survives_a_database_round_trip(fitted) -> None:
    index, issues, _ = fitted
    restored = TextIndex.from_bytes(index.to_bytes())
    assert restored.version_hash == index.version_hash
    assert (transform(restored, ISSUES) != issues).nnz == 0
    unpickled = pickle.loads(pickle.dumps(index))  # noqa: S301 - our own bytes
    assert (transform(unpickled, ISSUES) != issues).nnz == 0


def test_version_hash_tells_indexes_apart(fitted) -> None:
    index, _, _ = fitted
    other = fit_index(documents=[*ISSUES, *RESOURCES, "空き家の利活用"])
    assert other.version_hash != index.version_hash
    assert fit_index(documents=ISSUES + RESOURCES).version_hash == index.version_hash


def test_from_bytes_rejects_other_objects() -> None:
    import zlib

    with pytest.raises(TypeError, match="TextIndex"):
        TextIndex.from_bytes(zlib.compress(pickle.dumps({"not": "an index"})))


def test_large_corpus_prunes_rare_and_ubiquitous_terms() -> None:
    documents = [f"地域の防災訓練と見守り 第{i}回" for i in range(30)]
    documents += ["地域の子育て相談", "地域の子育て広場", "地域の空き家"]
    terms = set(fit_index(documents=documents, analyzer=char_ngrams).terms)
    assert "子育" in terms  # in two documents: can link an issue to a resource
    assert "空き" not in terms  # in one document only
    assert "地域" not in terms  # in every document: says nothing


@pytest.mark.parametrize("path", ["sparse", "dense"])
def test_targets_cosine_is_the_same_whichever_product_it_takes(monkeypatch, path):
    targets = sparse.random(300, 40, density=0.2, format="csr", random_state=4, dtype=np.float32)
    queries = sparse.random(7, 40, density=0.3, format="csr", random_state=5, dtype=np.float32)
    # steer the cost model to the path under test
    monkeypatch.setattr(index_module, "_SPARSE_PRODUCT_NS", 0.0 if path == "sparse" else 1e9)
    prepared = index_module.Targets.of(targets)
    scores = prepared.cosine(queries)
    assert scores.dtype == np.float32 and scores.flags.c_contiguous
    np.testing.assert_allclose(scores, (queries @ targets.T).toarray(), atol=1e-6)


@pytest.mark.parametrize("columns", [5, 64, 1000, 4096 + 17])
def test_best_columns_finds_each_rows_largest_scores(columns):
    rng = np.random.default_rng(columns)
    scores = rng.random((6, columns)).astype(np.float32)
    scores[scores < 0.3] = -np.inf  # refused pairs
    scores[1] = -np.inf  # a row with nothing allowed
    scores[2] = -np.inf
    scores[2, -1] = 5.0  # its one allowed pair sits in the last, partial group
    scores[3, :] = 0.5  # ties everywhere
    best = index_module.best_columns(scores, 10, group=64)
    keep = min(10, columns)
    assert best.shape == (6, keep) and best.max() < columns
    for row in range(6):
        expected = np.sort(scores[row])[::-1][:keep]
        np.testing.assert_array_equal(np.sort(scores[row, best[row]])[::-1], expected)
        assert len(set(best[row].tolist())) == keep
    assert columns - 1 in best[2]
