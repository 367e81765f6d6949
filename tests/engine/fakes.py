"""A tiny deterministic embedder for tests: one dimension per concept, found by keywords."""

from __future__ import annotations

import numpy as np

# Words of one concept written differently on each side, as paraphrases are.
CONCEPTS = [
    ("見守り", "安否", "異変", "孤立", "独居"),
    ("買い物", "食料", "移動販売", "スーパー"),
    ("防災", "避難", "災害", "浸水"),
    ("子ども", "保育", "子育て", "学童"),
]


class FakeEmbedder:
    """Counts every text it embeds in `calls`, so tests can tell stored from computed."""

    name = "fake-concepts"
    dim = len(CONCEPTS) + 1
    calls: list[str] = []

    def embed(self, texts: list[str], *, role: str) -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            type(self).calls.append(text)
            for column, words in enumerate(CONCEPTS):
                rows[row, column] = sum(text.count(word) for word in words)
            rows[row, -1] = 0.2  # every text shares a little: cosines are never all zero
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


FAKE_PATH = f"{__name__}.FakeEmbedder"
