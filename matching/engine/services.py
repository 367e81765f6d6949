"""Engine settings (staff-edited weights), fitted engine versions and the learned ranker."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from matching.engine.ranker import (
    train_pairwise_ranker,
    validate_against_baseline,
)
from matching.engine.suggest import record_embeddings_store, suggester_train
from matching.models import Decision, EngineVersion, MatchingSettings, Proposal
from matching.projects.models import Project
from matching.rules import DEFAULT_WEIGHTS, FEATURES
from matching.scoring import (
    issue_texts,
    resource_texts,
    vectors_to_bytes,
)
from portal.locking import CONFLICT_MESSAGE
from portal.models import User
from portal.services import task_enqueue
from portal.textengine.analyzer import default_analyzer
from portal.textengine.embedding import PASSAGE, QUERY, Progress, embeddings_for
from portal.textengine.index import fit_index, transform
from portal.textengine.tokens import StoredTokens, tokens_store

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 3
LABELS: dict[str, int] = {
    Decision.Verdict.APPROVED: 2,
    Decision.Verdict.REQUESTED: 2,
    Decision.Verdict.HELD: 1,
    Decision.Verdict.REJECTED: 0,
}
COMPLETED_LABEL = 3
# The organisation declined a proposal staff had approved: the pair is not a match after all,
# though closer to one than a pair staff rejected (below ranker.RELEVANT_LABEL, above 0).
PARTNER_DECLINED_LABEL = 1


def matching_settings_get() -> MatchingSettings:
    row = MatchingSettings.objects.order_by("pk").first()
    if row is None:
        row, _created = MatchingSettings.objects.get_or_create(pk=1)
    return row


def weights_of(row: MatchingSettings) -> dict[str, float]:
    return {name: float(getattr(row, name)) for name in FEATURES}


def matching_settings_update(
    *, user: User, data: dict[str, Any], expected_version: int
) -> MatchingSettings:
    """Save the engine settings (optimistic lock on ``expected_version``: ValidationError
    CONFLICT_MESSAGE when someone saved first). Weights and top_k take effect at the next run;
    a changed exposure cap re-ranks the current candidates after commit (a task:
    matching.runs.services.exposure_cap_reapply), so turning it off restores the engine's
    order at once instead of at the next full run."""
    from matching import tasks

    row = matching_settings_get()
    cap_before = row.exposure_cap
    with transaction.atomic():
        values = {
            name: data[name]
            for name in [*FEATURES, "top_k", "use_learned", "exposure_cap"]
            if name in data
        }
        updated = MatchingSettings.objects.filter(pk=row.pk, version=expected_version).update(
            **values, updated_by=user, updated_at=timezone.now(), version=F("version") + 1
        )
        if not updated:
            raise ValidationError(CONFLICT_MESSAGE)
        row.refresh_from_db()
        # keep the audit trail: record the new state as a history row
        row.save(update_fields=["updated_at"])
        if row.exposure_cap != cap_before:
            task_enqueue(tasks.matching_exposure_cap_reapply)
    return row


def ranker_training_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, graded labels and issue groups from staff decisions and project outcomes.

    Both sides' answers: staff decisions on candidates and on partners' own proposals (逆プロポ)
    alike, each carrying the features of its (issue, resource) pair, and then the organisation's
    answer to a proposal staff approved: declined lowers the pair to `PARTNER_DECLINED_LABEL`,
    accepted keeps it relevant (2). The latest decision on a pair counts; a pair whose proposal
    became a completed project is labelled 3 (the strongest positive), and so is each resource
    a partner's proposal involved.
    """
    latest: dict[tuple[int, int], tuple[int, dict]] = {}
    for issue_id, resource_id, verdict, features in (
        Decision.objects.order_by("decided_at", "pk")
        .values_list("issue_id", "resource_id", "verdict", "features")
        .iterator()
    ):
        if not features:
            continue
        latest[(issue_id, resource_id)] = (LABELS.get(verdict, 0), features)
    answered = Proposal.objects.filter(
        origin=Proposal.Origin.WARD,
        status__in=[Proposal.Status.ACCEPTED, Proposal.Status.DECLINED],
        decision__isnull=False,
    ).values_list("issue_id", "resource_id", "status")
    for issue_id, resource_id, status in answered:
        if (issue_id, resource_id) not in latest:
            continue
        label, features = latest[(issue_id, resource_id)]
        if status == Proposal.Status.DECLINED:
            label = PARTNER_DECLINED_LABEL
        else:
            label = max(label, LABELS[Decision.Verdict.APPROVED])
        latest[(issue_id, resource_id)] = (label, features)
    completed = Project.objects.filter(status=Project.Status.COMPLETED, proposal__isnull=False)
    pairs = set(completed.values_list("proposal__issue_id", "proposal__resource_id"))
    pairs |= set(
        completed.filter(proposal__resources__isnull=False).values_list(
            "proposal__issue_id", "proposal__resources__id"
        )
    )
    for key in pairs:
        if key in latest:
            latest[key] = (COMPLETED_LABEL, latest[key][1])
    rows, labels, groups = [], [], []
    for (issue_id, _resource_id), (label, features) in latest.items():
        rows.append([float(features.get(name, 0.0)) for name in FEATURES])
        labels.append(label)
        groups.append(issue_id)
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.asarray(labels, dtype=np.int64),
        np.asarray(groups, dtype=np.int64),
    )


def ranker_train(*, weights: dict[str, float]) -> dict[str, Any] | None:
    """Train and validate the learned ranker; its dict (with validation) or None if too few data."""
    features, labels, groups = ranker_training_data()
    if len(labels) == 0:
        return None
    validation = validate_against_baseline(
        features=features,
        labels=labels,
        groups=groups,
        feature_names=FEATURES,
        baseline_weights=weights,
    )
    model = train_pairwise_ranker(
        features=features, labels=labels, groups=groups, feature_names=FEATURES
    )
    if model is None:
        return {"validation": dataclasses.asdict(validation), "coefficients": None}
    return dataclasses.replace(model, validation=validation).to_dict()


def engine_version_build() -> EngineVersion:
    """Fit the TF-IDF index on every issue and resource, train the ranker, store both."""
    started = time.perf_counter()
    issue_ids, issue_docs = issue_texts()
    resource_ids, resource_docs = resource_texts()
    base = default_analyzer()
    memo = StoredTokens(base)  # each text analysed once, and only if its tokens are not stored
    documents = issue_docs + resource_docs or ["（空）"]
    memo.load(documents)
    index = fit_index(documents=documents, analyzer=memo)
    issue_matrix = transform(index, issue_docs) if issue_docs else None
    resource_matrix = transform(index, resource_docs) if resource_docs else None
    index.vectorizer.analyzer = base  # the memo must not be stored
    width = len(index.terms)
    from scipy import sparse

    issue_dense = embeddings_for(issue_docs, role=QUERY, progress=_log_progress("issue"))
    resource_dense = embeddings_for(resource_docs, role=PASSAGE, progress=_log_progress("resource"))
    vectors = vectors_to_bytes(
        issue_dense=issue_dense,
        resource_dense=resource_dense,
        issue_ids=issue_ids,
        issue_matrix=issue_matrix if issue_matrix is not None else sparse.csr_matrix((0, width)),
        resource_ids=resource_ids,
        resource_matrix=(
            resource_matrix if resource_matrix is not None else sparse.csr_matrix((0, width))
        ),
    )
    settings_row = matching_settings_get()
    weights = weights_of(settings_row)
    ranker = ranker_train(weights=weights)
    if ranker is not None and not settings_row.use_learned and ranker.get("validation"):
        ranker["validation"]["use_learned"] = False
    validation = (ranker or {}).get("validation") or {}
    suggester, suggester_report = suggester_train(analyzer=memo, stored=base)
    with transaction.atomic():
        version = EngineVersion.objects.create(
            index_blob=index.to_bytes(),
            index_hash=index.version_hash,
            vectors_blob=vectors,
            ranker=ranker if ranker and ranker.get("coefficients") else None,
            validation=validation,
            weights=weights,
            document_count=len(issue_docs) + len(resource_docs),
            fit_seconds=round(time.perf_counter() - started, 3),
            suggester_blob=suggester.to_bytes() if suggester.models else b"",
            suggester_report=suggester_report,
        )
        old = list(
            EngineVersion.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[
                KEEP_VERSIONS:
            ]
        )
        if old:
            EngineVersion.objects.filter(pk__in=old).delete()
    return version


def _log_progress(what: str) -> Progress:
    def report(done: int, total: int) -> None:
        logger.info("embedded %d / %d %s texts", done, total, what)

    return report


def embeddings_refresh(
    *, issue_ids: list[int], resource_ids: list[int], progress: Progress | None = None
) -> int:
    """Embed (and store) the current texts of these issues and resources that have no vector:
    the matching documents and the texts the metadata suggester reads; store the documents'
    analysed tokens too.

    Returns how many texts were looked at. `progress(done, total)` counts the texts computed.
    Called after commit when issues or resources are saved or imported, so the next run only
    reads stored vectors and tokens.
    """
    _, issue_docs = issue_texts(issue_ids) if issue_ids else ([], [])
    _, resource_docs = resource_texts(resource_ids) if resource_ids else ([], [])
    tokens_store(issue_docs + resource_docs, analyzer=default_analyzer())
    embeddings_for(issue_docs, role=QUERY, progress=progress)
    embeddings_for(resource_docs, role=PASSAGE, progress=progress)
    record_embeddings_store(issue_ids=issue_ids, resource_ids=resource_ids, progress=progress)
    return len(issue_docs) + len(resource_docs)


def engine_version_current() -> EngineVersion:
    """The newest engine version (built first if there is none), without its blobs: callers
    need its id, and the blobs (tens of MB with embeddings) are read once per process by
    matching.scoring.engine_load. Reading them here cost a single-issue refresh ~1 s."""
    version = (
        EngineVersion.objects.defer("index_blob", "vectors_blob", "suggester_blob")
        .order_by("-created_at", "-pk")
        .first()
    )
    return version or engine_version_build()


def default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)
