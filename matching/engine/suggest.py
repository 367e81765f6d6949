"""Suggested metadata: the 分野, SDGs, target groups and resource kinds a text already states.

Trained with the engine (`engine_version_build`) on records whose metadata a person confirmed:
issues that staff took past 下書き (a reviewed issue's choices are the ward's), and resources of
approved organisations (saved by the partner on the form that asks for each choice). An empty
multiple choice is unknown, not "none", so such a record does not train that target.

One TF-IDF vectorizer per kind of record, over the engine's Sudachi analyzer (the same content
words as matching), and per target a logistic regression: multinomial for one choice (an issue's
分野, a resource's kind), one-vs-rest for several (SDGs, target groups, kinds, a resource's 分野).

Quality is measured before the final fit on held-out records: a random 25 % of the records,
split by record with a fixed seed (`SEED`), so two builds on the same data report the same
figures. top-1: the first suggestion is one of the record's confirmed values; top-3: one of the
first three is; precision@3 / recall@3: the share of the first three that are right / of the
confirmed values that are among them. A target with fewer than `MIN_RECORDS` confirmed records
suggests nothing, and the engine screen says so.
"""

from __future__ import annotations

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

ISSUE = "issue"
RESOURCE = "resource"
# Below this many confirmed records a target suggests nothing: 30 is where the held-out quarter
# (8 records) first says anything about accuracy at all.
MIN_RECORDS = 30
# A value confirmed fewer times than this cannot be learned; it is left out of that target.
MIN_EXAMPLES = 3
HELD_OUT = 0.25
SEED = 17
TOP = 3
# Several-choice fields: the best value is always pre-selected, the next ones only when the
# model gives them at least this probability (at most TOP in all).
MORE_IF = 0.5

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
    """Texts of confirmed records and, per target name, each record's values (as form strings).

    Two queries for issues, three for resources, whatever the number of records.
    """
    texts: list[str] = []
    values: dict[str, list[list[str]]] = {t.name: [] for t in TARGETS if t.kind == kind}
    if kind == ISSUE:
        rows = (
            Issue.objects.exclude(status=IssueStatus.DRAFT)
            .order_by("pk")
            .values_list(
                "title", "description", "field_id", "sdgs", "target_groups",
                "desired_resource_kinds",
            )
        )  # fmt: skip
        for title, description, field_id, sdgs, groups, kinds in rows:
            texts.append(record_text(title, description))
            values["field"].append([str(field_id)])
            values["sdgs"].append([str(v) for v in sdgs or []])
            values["target_groups"].append([str(v) for v in groups or []])
            values["desired_resource_kinds"].append([str(v) for v in kinds or []])
        return texts, values
    resources = Resource.objects.filter(organization__status=OrgStatus.APPROVED).order_by("pk")
    fields_of: dict[int, list[str]] = {}
    for resource_id, field_id in Resource.fields.through.objects.filter(
        resource__in=resources
    ).values_list("resource_id", "field_id"):
        fields_of.setdefault(resource_id, []).append(str(field_id))
    for pk, title, description, kind_value, sdgs in resources.values_list(
        "pk", "title", "description", "kind", "sdgs"
    ):
        texts.append(record_text(title, description))
        values["kind"].append([kind_value])
        values["fields"].append(sorted(fields_of.get(pk, [])))
        values["sdgs"].append([str(v) for v in sdgs or []])
    return texts, values


def _vectorizer(analyzer: Analyzer) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)


def _classifier(multiple: bool):
    # C=10: a few hundred short texts give sparse rows; the default C=1 ranked the majority
    # value first for most records (measured on the demo data).
    base = LogisticRegression(C=10.0, max_iter=2000)
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


def _fit(matrix, values: list[list[str]], multiple: bool) -> _Model:
    if multiple:
        binarizer = MultiLabelBinarizer()
        labels = binarizer.fit_transform(values)
        classes = [str(c) for c in binarizer.classes_]
    else:
        labels = np.asarray([row[0] for row in values])
        classes = sorted(set(labels.tolist()))
    classifier = _classifier(multiple).fit(matrix, labels)
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
    """Fitted vectorizers (per kind) and classifiers (per target); pickled with the engine."""

    vectorizers: dict[str, TfidfVectorizer] = field(default_factory=dict)
    models: dict[str, _Model] = field(default_factory=dict)  # "kind:name" → model

    def suggest(self, kind: str, text: str) -> dict[str, list[str]]:
        """Values to pre-select per target name of `kind` (empty when the target is off)."""
        vectorizer = self.vectorizers.get(kind)
        if vectorizer is None or not text.strip():
            return {}
        matrix = vectorizer.transform([text])
        if matrix.nnz == 0:  # no known word: any answer would be the majority, not the text
            return {}
        found: dict[str, list[str]] = {}
        for target in TARGETS:
            model = self.models.get(f"{kind}:{target.name}")
            if target.kind != kind or model is None:
                continue
            probabilities = model.ranked(matrix)[0]
            order = np.argsort(-probabilities, kind="stable")
            if not target.multiple:
                found[target.name] = [model.classes[order[0]]]
                continue
            picked = [order[0], *(i for i in order[1:TOP] if probabilities[i] >= MORE_IF)]
            found[target.name] = [model.classes[i] for i in picked]
        return found

    def to_bytes(self) -> bytes:
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def from_bytes(cls, data: bytes) -> Suggester:
        """Load a blob from `to_bytes`. Never call this on data from outside the application."""
        loaded = pickle.loads(zlib.decompress(data))  # noqa: S301  # nosec B301
        if not isinstance(loaded, cls):
            raise TypeError("not a Suggester blob")
        return loaded


def suggester_train(*, analyzer: Analyzer, stored: Analyzer) -> tuple[Suggester, dict[str, Any]]:
    """Measure each target on held-out records, then fit it on all of them.

    `analyzer` tokenises while fitting (the engine passes its memoising one, so each text is
    tokenised once across the held-out and the final fits); `stored` is pickled in its place.

    Returns the suggester and its report: {"seconds": float, "targets": [{"kind", "name",
    "records", "held_out", "enabled", "reason", "top1", "top3", "precision_at_3",
    "recall_at_3", "majority_top1"}]}; `reason` is "too_few" or "one_value" when off.
    """
    started = time.perf_counter()
    suggester = Suggester()
    rows: list[dict[str, Any]] = []
    for kind in (ISSUE, RESOURCE):
        texts, values = confirmed_records(kind)
        kind_targets = [t for t in TARGETS if t.kind == kind]
        trained_any = False
        for target in kind_targets:
            row = _target_report(target, texts, values[target.name], analyzer)
            rows.append(row)
            trained_any = trained_any or row["enabled"]
        if not trained_any:
            continue
        vectorizer = _vectorizer(analyzer).fit(texts)
        matrix = vectorizer.transform(texts)
        vectorizer.analyzer = stored  # a memo must not be stored
        suggester.vectorizers[kind] = vectorizer
        for target, row in zip(kind_targets, rows[-len(kind_targets) :], strict=True):
            if row["enabled"]:
                kept, kept_values = _learnable(values[target.name])
                suggester.models[f"{kind}:{target.name}"] = _fit(
                    matrix[kept], kept_values, target.multiple
                )
    return suggester, {"seconds": round(time.perf_counter() - started, 3), "targets": rows}


def _target_report(
    target: Target, texts: list[str], values: list[list[str]], analyzer: Analyzer
) -> dict[str, Any]:
    kept, kept_values = _learnable(values)
    row: dict[str, Any] = {
        "kind": target.kind,
        "name": target.name,
        "records": sum(1 for v in values if v),
        "enabled": False,
        "reason": "",
    }
    if row["records"] < MIN_RECORDS or len(kept) < MIN_RECORDS:
        row["reason"] = "too_few"
        return row
    if len({v for row_values in kept_values for v in row_values}) < 2:
        row["reason"] = "one_value"
        return row
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
) -> dict[str, float]:
    """Fit one target's classifier on the training records and score it on the test records.

    Returns held_out_scores' fractions and `majority_top1`, the top-1 of always suggesting the
    training records' most frequent value (what the classifier must beat). The training values
    need at least two distinct values (else LogisticRegression refuses: ValueError).
    """
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
    """The newest engine version's suggester, cached per process by version id (None: none)."""
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
        suggester = Suggester.from_bytes(bytes(blob))
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
