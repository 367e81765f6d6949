"""Near-duplicate detection across wards: character n-gram TF-IDF cosine.

Japanese has no spaces, so words are not split: the text (title + description, NFKC-normalised)
is cut into character 2- and 3-grams (``analyzer="char_wb"``), weighted by TF-IDF over every
issue in the database, and compared by cosine similarity. Issues above ``THRESHOLD`` are shown,
the best ``LIMIT`` first. The fitted matrix is cached per process; issues changed since the fit
are re-vectorised individually, and the whole index is refitted when the number of issues has
moved by more than 10 % (so a save on 10,000 issues costs one small query, not a refit).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Max

from issues.models import Issue, IssueStatus

THRESHOLD = 0.35
LIMIT = 5

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def issue_text(title: str, description: str) -> str:
    # The title counts twice: it is the short statement of the issue.
    return normalize(f"{title} {title} {description}")


@dataclass(frozen=True)
class Similar:
    issue_id: int
    score: float


def _fit() -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    stamp = Issue.objects.aggregate(at=Max("updated_at"))["at"]
    rows = list(
        Issue.objects.exclude(status=IssueStatus.WITHDRAWN)
        .order_by("pk")
        .values_list("pk", "title", "description")
    )
    if not rows:
        return {"ids": [], "vectorizer": None, "matrix": None, "stamp": stamp, "fitted": 0}
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
    matrix = vectorizer.fit_transform([issue_text(title, desc) for _, title, desc in rows])
    return {
        "ids": [row[0] for row in rows],
        "vectorizer": vectorizer,
        "matrix": matrix,
        "stamp": stamp,
        "fitted": len(rows),
        "overrides": {},
        "excluded": set(),
    }


def _index() -> dict:
    """The fitted index, brought up to date cheaply: issues changed since the fit are
    re-vectorised one by one (same vocabulary); a full refit happens when the number of
    issues has moved by more than 10 % since the last fit."""
    with _lock:
        index = dict(_cache)
    count = Issue.objects.exclude(status=IssueStatus.WITHDRAWN).count()
    if (
        not index
        or not index["fitted"]
        or abs(count - index["fitted"]) > max(10, index["fitted"] // 10)
    ):
        index = _fit()
    elif index["stamp"] is not None:
        changed = list(
            Issue.objects.filter(updated_at__gt=index["stamp"]).values_list(
                "pk", "title", "description", "status", "updated_at"
            )
        )
        if changed:
            overrides = dict(index["overrides"])
            excluded = set(index["excluded"])
            live = [row for row in changed if row[3] != IssueStatus.WITHDRAWN]
            excluded.update(row[0] for row in changed if row[3] == IssueStatus.WITHDRAWN)
            if live:
                vectors = index["vectorizer"].transform([issue_text(r[1], r[2]) for r in live])
                for position, row in enumerate(live):
                    overrides[row[0]] = vectors[position]
                    excluded.discard(row[0])
            index.update(
                overrides=overrides, excluded=excluded, stamp=max(row[4] for row in changed)
            )
    with _lock:
        _cache.clear()
        _cache.update(index)
    return index


def similar_to_text(
    *, title: str, description: str, exclude_ids: set[int] | None = None, limit: int = LIMIT
) -> list[Similar]:
    index = _index()
    if index["vectorizer"] is None:
        return []
    query = index["vectorizer"].transform([issue_text(title, description)])
    scores: dict[int, float] = {}
    base = (index["matrix"] @ query.T).toarray().ravel()
    for position in base.nonzero()[0]:
        scores[index["ids"][position]] = float(base[position])
    for pk, vector in index["overrides"].items():
        scores[pk] = float((vector @ query.T).toarray()[0, 0])
    skip = (exclude_ids or set()) | index["excluded"]
    ranked = sorted(
        ((score, pk) for pk, score in scores.items() if pk not in skip and score >= THRESHOLD),
        reverse=True,
    )
    return [Similar(pk, round(score, 3)) for score, pk in ranked[:limit]]


def similar_issues(issue: Issue, *, limit: int = LIMIT) -> list[tuple[Issue, float]]:
    """The existing issues (any ward) most like this one, with their similarity (0–1)."""
    found = similar_to_text(
        title=issue.title, description=issue.description, exclude_ids={issue.pk}, limit=limit
    )
    by_id = Issue.objects.select_related("ward", "field").in_bulk([s.issue_id for s in found])
    return [(by_id[s.issue_id], s.score) for s in found if s.issue_id in by_id]
