"""Suggested metadata: the 分野, SDGs, target groups and resource kinds a text already states.

Trained with the engine (`engine_version_build`) on records whose metadata a person confirmed:
issues that staff took past 下書き (a reviewed issue's choices are the ward's), and resources of
approved organisations (saved by the partner on the form that asks for each choice). An empty
multiple choice is unknown, not "none", so such a record does not train that target.

Features: when an embedder is available (portal.textengine.embedding), the multilingual-e5
vector of the text (an issue's as a query, a resource's as a passage), read from the vectors
stored per text hash (`embeddings_for`; embeddings_refresh stores them when a record is saved,
so a build computes only texts saved before that); it reads English as well as Japanese.
Without an embedder, one TF-IDF vectorizer per kind of record over the engine's Sudachi
analyzer (the same content words as matching). The text is the title and description only:
the engine's stored matching documents also hold the 分野 names, which would hand the
classifier its answer. Per target a logistic regression: multinomial for one choice (an
issue's 分野, a resource's kind), one-vs-rest for several (SDGs, target groups, kinds, a
resource's 分野).

Choice of features, measured on the development set's dev half only (benchmarks/devset,
5-fold cross-validation over its 80 records per side; top-1 / top-3): issue 分野 TF-IDF
.33/.69, e5 .54/.89, both concatenated .54/.86; desired kinds .68/.97, .68/.95, .64/.95;
resource kind .46/.79, .47/.82, .49/.82; resource 分野 .15/.49, .25/.71, .25/.73. The e5
vector alone is as good as the two together and needs no tokenising while a person types.

Quality is measured before the final fit on held-out records: a random 25 % of the records,
split by record with a fixed seed (`SEED`), so two builds on the same data report the same
figures. top-1: the first suggestion is one of the record's confirmed values; top-3: one of the
first three is; precision@3 / recall@3: the share of the first three that are right / of the
confirmed values that are among them. A target with fewer than `MIN_RECORDS` confirmed records
suggests nothing, and the engine screen says so.
"""

from __future__ import annotations

import logging
import pickle  # nosec B403 - the blob is written by engine_version_build only
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from issues.models import Issue, IssueStatus
from partners.models import OrgStatus, Resource
from portal.textengine.embedding import (
    PASSAGE,
    QUERY,
    Progress,
    embedder,
    embedding_of,
    embeddings_for,
)

logger = logging.getLogger(__name__)

ISSUE = "issue"
RESOURCE = "resource"
# Below this many confirmed records a target suggests nothing: 30 is where the held-out quarter
# (8 records) first says anything about accuracy at all.
MIN_RECORDS = 30
# A value confirmed fewer times than this cannot be learned; it is left out of that target.
MIN_EXAMPLES = 3
HELD_OUT = 0.25
SEED = 17
# The newest confirmed records of each kind the suggester learns from. Its accuracy comes from
# how staff describe things now, not from volume: at 100k resources the training and held-out
# measure took 1,499 s of a 2,575 s engine build (cProfile, loaded 2-core machine), as long
# as the whole run may take.
MAX_RECORDS = 5_000
TOP = 3
# Several-choice fields: the best value is always pre-selected, the next ones only when the
# model gives them at least this probability (at most TOP in all).
MORE_IF = 0.5
# The features a suggester reads: TF-IDF, or the embedder's vectors (Suggester.features holds
# the embedder's name then, so vectors of another model are never fed to its classifiers).
TFIDF = "tfidf"
# The role each kind of record is embedded as (the one the matching engine uses).
ROLE = {ISSUE: QUERY, RESOURCE: PASSAGE}
# The blob's format (to_bytes): 1 = zlib(pickle) with TF-IDF only (before the header existed),
# 2 = this header + zlib(pickle) of a Suggester with `features`.
BLOB_FORMAT = 2
_HEADER = b"suggester-format:%d\n"

Analyzer = Callable[[str], list[str]]


@dataclass(frozen=True)
class Target:
    kind: str  # ISSUE or RESOURCE
    name: str  # the form field (and model attribute) it fills
    multiple: bool
    label: Any  # lazy string: the field's label on the engine screen


TARGETS: tuple[Target, ...] = (
    Target(ISSUE, "field", False, _("分野")),
    Target(ISSUE, "sdgs", True, _("SDGs")),
    Target(ISSUE, "target_groups", True, _("対象者")),
    Target(ISSUE, "desired_resource_kinds", True, _("求めるリソース")),
    Target(RESOURCE, "kind", False, _("リソースの種類")),
    Target(RESOURCE, "fields", True, _("分野")),
    Target(RESOURCE, "sdgs", True, _("SDGs")),
)


def record_text(title: str, description: str) -> str:
    """What the classifier reads: the title and the description a person typed."""
    return f"{title or ''}\n{description or ''}".strip()


def confirmed_records(kind: str) -> tuple[list[str], dict[str, list[list[str]]]]:
    """Texts of the newest MAX_RECORDS confirmed records (oldest first) and, per target name,
    each record's values (as form strings).

    Two queries for issues, three for resources, whatever the number of records.
    """
    texts: list[str] = []
    values: dict[str, list[list[str]]] = {t.name: [] for t in TARGETS if t.kind == kind}
    if kind == ISSUE:
        rows = (
            Issue.objects.exclude(status=IssueStatus.DRAFT)
            .order_by("-pk")
            .values_list(
                "title", "description", "field_id", "sdgs", "target_groups",
                "desired_resource_kinds",
            )[:MAX_RECORDS]
        )  # fmt: skip
        for title, description, field_id, sdgs, groups, kinds in reversed(list(rows)):
            texts.append(record_text(title, description))
            values["field"].append([str(field_id)])
            values["sdgs"].append([str(v) for v in sdgs or []])
            values["target_groups"].append([str(v) for v in groups or []])
            values["desired_resource_kinds"].append([str(v) for v in kinds or []])
        return texts, values
    newest = Resource.objects.filter(organization__status=OrgStatus.APPROVED).order_by("-pk")
    records = list(newest.values_list("pk", "title", "description", "kind", "sdgs")[:MAX_RECORDS])
    fields_of: dict[int, list[str]] = {}
    for resource_id, field_id in Resource.fields.through.objects.filter(
        resource_id__in=[record[0] for record in records]
    ).values_list("resource_id", "field_id"):
        fields_of.setdefault(resource_id, []).append(str(field_id))
    for pk, title, description, kind_value, sdgs in reversed(records):
        texts.append(record_text(title, description))
        values["kind"].append([kind_value])
        values["fields"].append(sorted(fields_of.get(pk, [])))
        values["sdgs"].append([str(v) for v in sdgs or []])
    return texts, values


def record_embeddings_store(
    *, issue_ids: Sequence[int], resource_ids: Sequence[int], progress: Progress | None = None
) -> None:
    """Embed and store the texts the suggester reads of these records (those not stored yet),
    so that the engine build reads them (engine.services.embeddings_refresh calls this after
    a record is saved). Nothing without an embedder; two queries plus the vector look-ups."""
    if embedder() is None:
        return
    for kind, model, ids in ((ISSUE, Issue, issue_ids), (RESOURCE, Resource, resource_ids)):
        if ids:
            rows = model.objects.filter(pk__in=ids).values_list("title", "description")
            texts = [record_text(title, description) for title, description in rows]
            embeddings_for(texts, role=ROLE[kind], progress=progress)


def _vectorizer(analyzer: Analyzer) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)


def _classifier(multiple: bool, *, dense: bool):
    # TF-IDF, C=10: a few hundred short texts give sparse rows; the default C=1 ranked the
    # majority value first for most records (measured on the demo data). e5, C=1000: its unit
    # vectors differ little from text to text; on the dev half C=1000 beat C=90 and C=10
    # (issue 分野 top-1 .54 / .51 / .42, the rest level or better).
    base = LogisticRegression(C=1000.0 if dense else 10.0, max_iter=2000)
    return OneVsRestClassifier(base) if multiple else base


def _learnable(values: list[list[str]]) -> tuple[list[int], list[list[str]]]:
    """Rows with at least one value seen MIN_EXAMPLES times, keeping only such values."""
    counts = Counter(v for row in values for v in set(row))
    kept_rows, kept_values = [], []
    for index, row in enumerate(values):
        known = sorted({v for v in row if counts[v] >= MIN_EXAMPLES})
        if known:
            kept_rows.append(index)
            kept_values.append(known)
    return kept_rows, kept_values


@dataclass
class _Model:
    classes: list[str]
    classifier: Any

    def ranked(self, matrix) -> np.ndarray:
        """Probability per class, one row per text."""
        return np.asarray(self.classifier.predict_proba(matrix))


def _fit(matrix, values: list[list[str]], multiple: bool, *, dense: bool = False) -> _Model:
    if multiple:
        binarizer = MultiLabelBinarizer()
        labels = binarizer.fit_transform(values)
        classes = [str(c) for c in binarizer.classes_]
    else:
        labels = np.asarray([row[0] for row in values])
        classes = sorted(set(labels.tolist()))
    classifier = _classifier(multiple, dense=dense).fit(matrix, labels)
    if not multiple:
        classes = [str(c) for c in classifier.classes_]
    return _Model(classes=classes, classifier=classifier)


def held_out_scores(
    probabilities: np.ndarray, classes: Sequence[str], truth: Sequence[Sequence[str]]
) -> dict[str, float]:
    """top-1 / top-3 accuracy and precision@3 / recall@3 of ranked classes against the truth.

    `probabilities`: (records × classes); `truth`: each record's confirmed values. A record
    counts for top-k when any of its values is among the first k. Returns fractions in 0..1.
    """
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :TOP]
    top1 = top3 = precision = recall = 0.0
    for ranks, values in zip(order, truth, strict=True):
        wanted = set(values)
        picked = [classes[i] for i in ranks]
        hits = len(wanted.intersection(picked))
        top1 += picked[0] in wanted
        top3 += hits > 0
        precision += hits / TOP
        recall += hits / len(wanted)
    n = max(len(truth), 1)
    return {
        "top1": top1 / n,
        "top3": top3 / n,
        "precision_at_3": precision / n,
        "recall_at_3": recall / n,
    }


@dataclass
class Suggester:
    """Fitted classifiers (per target) and, for TF-IDF, vectorizers (per kind); pickled with
    the engine (to_bytes). `features` is TFIDF or the name of the embedder whose vectors the
    classifiers read; a blob of format 1 predates it and unpickles with TFIDF, which it is."""

    vectorizers: dict[str, TfidfVectorizer] = field(default_factory=dict)
    models: dict[str, _Model] = field(default_factory=dict)  # "kind:name" → model
    features: str = TFIDF

    def suggest(self, kind: str, text: str) -> dict[str, list[str]]:
        """Values to pre-select per target name of `kind` (empty when the target is off, or
        when the features cannot be had: no known word, or not the embedder trained with)."""
        kind_models = [
            (target, self.models[f"{kind}:{target.name}"])
            for target in TARGETS
            if target.kind == kind and f"{kind}:{target.name}" in self.models
        ]
        if not kind_models or not text.strip():
            return {}
        matrix = self._features(kind, text)
        if matrix is None:
            return {}
        found: dict[str, list[str]] = {}
        for target, model in kind_models:
            probabilities = model.ranked(matrix)[0]
            order = np.argsort(-probabilities, kind="stable")
            if not target.multiple:
                found[target.name] = [model.classes[order[0]]]
                continue
            picked = [order[0], *(i for i in order[1:TOP] if probabilities[i] >= MORE_IF)]
            found[target.name] = [model.classes[i] for i in picked]
        return found

    def _features(self, kind: str, text: str) -> Any:
        """The (1 × features) row of one text, or None when there is none to be had."""
        if self.features == TFIDF:
            vectorizer = self.vectorizers.get(kind)
            if vectorizer is None:
                return None
            matrix = vectorizer.transform([text])
            # No known word: any answer would be the majority, not the text.
            return matrix if matrix.nnz else None
        model = embedder()
        if model is None or model.name != self.features:
            # Trained on another model's vectors (or the model is gone): they mean nothing to
            # these classifiers; the next engine build trains on what is installed.
            logger.warning("suggester reads %s vectors, embedder is %s", self.features, model)
            return None
        vector = embedding_of(text, role=ROLE[kind])
        return None if vector is None else vector.reshape(1, -1)

    def to_bytes(self) -> bytes:
        """BLOB_FORMAT's header, then the zlib-compressed pickle."""
        body = zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))
        return _HEADER % BLOB_FORMAT + body

    @classmethod
    def from_bytes(cls, data: bytes) -> Suggester:
        """Load a blob of format 1 or BLOB_FORMAT. Never call this on data from outside the
        application. ValueError: a format this code does not know (a newer one); TypeError:
        not a suggester; zlib.error / pickle errors: damaged."""
        body = data
        if data.startswith(b"suggester-format:"):
            header, _, body = data.partition(b"\n")
            if header + b"\n" != _HEADER % BLOB_FORMAT:
                raise ValueError(f"suggester blob of unknown format: {header!r}")
        loaded = pickle.loads(zlib.decompress(body))  # noqa: S301  # nosec B301
        if not isinstance(loaded, cls):
            raise TypeError("not a Suggester blob")
        return loaded


def suggester_train(*, analyzer: Analyzer, stored: Analyzer) -> tuple[Suggester, dict[str, Any]]:
    """Measure each target on held-out records, then fit it on all of them.

    Features: the embedder's stored vectors when one is available (computed and stored for
    texts that have none yet), TF-IDF otherwise (see the module's docstring). `analyzer`
    tokenises while fitting TF-IDF (the engine passes its memoising one, so each text is
    tokenised once across the held-out and the final fits); `stored` is pickled in its place.

    Returns the suggester and its report: {"seconds": float, "features": TFIDF or the
    embedder's name, "targets": [{"kind", "name", "records", "held_out", "enabled", "reason",
    "top1", "top3", "precision_at_3", "recall_at_3", "majority_top1"}]}; `reason` is
    "too_few" or "one_value" when off.
    """
    started = time.perf_counter()
    model = embedder()
    suggester = Suggester(features=model.name if model is not None else TFIDF)
    rows: list[dict[str, Any]] = []
    for kind in (ISSUE, RESOURCE):
        texts, values = confirmed_records(kind)
        kind_targets = [t for t in TARGETS if t.kind == kind]
        dense = None
        if model is not None and any(not _off_reason(values[t.name]) for t in kind_targets):
            dense = embeddings_for(texts, role=ROLE[kind])
        kind_rows = [
            _target_report(target, texts, dense, values[target.name], analyzer)
            for target in kind_targets
        ]
        rows.extend(kind_rows)
        if not any(row["enabled"] for row in kind_rows):
            continue
        if dense is not None:
            matrix = dense
        else:
            vectorizer = _vectorizer(analyzer).fit(texts)
            matrix = vectorizer.transform(texts)
            vectorizer.analyzer = stored  # a memo must not be stored
            suggester.vectorizers[kind] = vectorizer
        for target, row in zip(kind_targets, kind_rows, strict=True):
            if row["enabled"]:
                kept, kept_values = _learnable(values[target.name])
                suggester.models[f"{kind}:{target.name}"] = _fit(
                    matrix[kept], kept_values, target.multiple, dense=dense is not None
                )
    report = {
        "seconds": round(time.perf_counter() - started, 3),
        "features": suggester.features,
        "targets": rows,
    }
    return suggester, report


def _off_reason(values: list[list[str]]) -> str:
    """Why a target with these confirmed values cannot be trained ("" when it can)."""
    kept, kept_values = _learnable(values)
    if sum(1 for v in values if v) < MIN_RECORDS or len(kept) < MIN_RECORDS:
        return "too_few"
    if len({v for row_values in kept_values for v in row_values}) < 2:
        return "one_value"
    return ""


def _target_report(
    target: Target,
    texts: list[str],
    dense: np.ndarray | None,
    values: list[list[str]],
    analyzer: Analyzer,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": target.kind,
        "name": target.name,
        "records": sum(1 for v in values if v),
        "enabled": False,
        "reason": _off_reason(values),
    }
    if row["reason"]:
        return row
    kept, kept_values = _learnable(values)
    train, test = train_test_split(np.arange(len(kept)), test_size=HELD_OUT, random_state=SEED)
    train_values = [kept_values[i] for i in train]
    if len({v for row_values in train_values for v in row_values}) < 2:
        row["reason"] = "one_value"
        return row
    row.update(
        held_out_measure(
            train_texts=[texts[kept[i]] for i in train],
            train_values=train_values,
            test_texts=[texts[kept[i]] for i in test],
            test_values=[kept_values[i] for i in test],
            multiple=target.multiple,
            analyzer=analyzer,
            train_dense=None if dense is None else dense[[kept[i] for i in train]],
            test_dense=None if dense is None else dense[[kept[i] for i in test]],
        )
    )
    row["held_out"] = len(test)
    row["enabled"] = True
    return row


def held_out_measure(
    *,
    train_texts: list[str],
    train_values: list[list[str]],
    test_texts: list[str],
    test_values: list[list[str]],
    multiple: bool,
    analyzer: Analyzer,
    train_dense: np.ndarray | None = None,
    test_dense: np.ndarray | None = None,
) -> dict[str, float]:
    """Fit one target's classifier on the training records and score it on the test records.

    Features: the embedding rows `train_dense` / `test_dense` ((records × dim), in the order
    of the texts) when given, else TF-IDF of the texts. Returns held_out_scores' fractions and
    `majority_top1`, the top-1 of always suggesting the training records' most frequent value
    (what the classifier must beat). The training values need at least two distinct values
    (else LogisticRegression refuses: ValueError).
    """
    if train_dense is not None and test_dense is not None:
        model = _fit(train_dense, train_values, multiple, dense=True)
        probabilities = model.ranked(test_dense)
    else:
        vectorizer = _vectorizer(analyzer).fit(train_texts)
        model = _fit(vectorizer.transform(train_texts), train_values, multiple)
        probabilities = model.ranked(vectorizer.transform(test_texts))
    scores = held_out_scores(probabilities, model.classes, test_values)
    majority = Counter(v for row_values in train_values for v in row_values).most_common(1)[0][0]
    scores["majority_top1"] = sum(majority in t for t in test_values) / len(test_values)
    return scores


_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def suggester_load() -> Suggester | None:
    """The newest engine version's suggester, cached per process by version id.

    None: no version has one, or its blob does not load (a format this code does not know, or
    damaged): logged, and no suggestions until the next engine build writes a new one.
    """
    from matching.models import EngineVersion

    version_id = (
        EngineVersion.objects.exclude(suggester_blob=b"")
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if version_id is None:
        return None
    cached = _cache.get("suggester")
    if cached is not None and cached[0] == version_id:
        return cached[1]
    with _cache_lock:
        blob = (
            EngineVersion.objects.filter(pk=version_id)
            .values_list("suggester_blob", flat=True)
            .first()
        )
        if not blob:
            return None
        suggester: Suggester | None
        try:
            suggester = Suggester.from_bytes(bytes(blob))
        except (ValueError, TypeError, zlib.error, pickle.UnpicklingError) as error:
            logger.warning("suggester of engine version %s ignored: %s", version_id, error)
            suggester = None
        _cache["suggester"] = (version_id, suggester)
    return suggester


# The key of the hidden `suggested` record that lists the fields the person has taken over.
TAKEN = "_taken"


def fields_to_fill(
    *,
    proposed: dict[str, list[str]],
    posted: dict[str, list[str]],
    previous: dict[str, list[str]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Which form fields to pre-select now, never overwriting a person's choice.

    `proposed`: the suggester's values per field; `posted`: the values the form holds now;
    `previous`: what earlier suggestions put there (the form's hidden `suggested`). A field is
    the person's once it holds something that no suggestion put there (typed, ticked, cleared
    after a suggestion, or saved before), and is then left alone for good: the `TAKEN` entry
    of `suggested` remembers it, so a field cleared after a suggestion is not filled again when
    the next request sees it empty. Returns (fields to re-render with their new values, the new
    `suggested`: every field still holding a suggestion, and `TAKEN`).
    """
    fill: dict[str, list[str]] = {}
    holding: dict[str, list[str]] = {}
    taken = set(previous.get(TAKEN, []))
    for name in {*proposed, *previous} - {TAKEN} - taken:
        now = sorted(v for v in posted.get(name, []) if v)
        before = previous.get(name)
        untouched = sorted(before) == now if before is not None else not now
        if not untouched:
            taken.add(name)
            continue
        values = proposed.get(name) or before
        if not values:
            continue
        holding[name] = sorted(values)
        if sorted(values) != now:
            fill[name] = sorted(values)
    if taken:
        holding[TAKEN] = sorted(taken)
    return fill, holding
