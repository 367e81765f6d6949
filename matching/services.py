"""Writes of the matching app: engine versions, runs, candidates, decisions, proposals, projects."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time
import uuid
from collections import Counter
from typing import Any

import numpy as np
from django import db
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.models import Issue, IssueStatus
from matching.engine.ranker import (
    train_pairwise_ranker,
    validate_against_baseline,
)
from matching.models import (
    Candidate,
    Decision,
    EngineVersion,
    ExposureLog,
    MatchChunk,
    MatchingSettings,
    MatchRun,
    Project,
    Proposal,
)
from matching.rules import DEFAULT_WEIGHTS, FEATURES
from matching.scoring import (
    PairResult,
    compute_matches,
    context_build,
    engine_load,
    issue_texts,
    resource_texts,
    vectors_to_bytes,
)
from partners.models import Membership, Resource
from portal.models import Role, User
from portal.services import notification_send, task_enqueue
from portal.textengine.analyzer import default_analyzer
from portal.textengine.index import fit_index, transform

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 3
PROPOSAL_DAYS = 14
REMINDER_DAYS = 3
MATCHED_STATUSES = [IssueStatus.OPEN, IssueStatus.REVIEWING]
# A restarted or unreachable database: the task retries instead of failing the run.
DATABASE_LOST = (db.OperationalError, db.InterfaceError)
BROKER_DOWN_MESSAGE = gettext_lazy(
    "マッチング処理（ワーカー）に接続できません。しばらくしてから再実行してください。"
)
CONFLICT_MESSAGE = gettext_lazy(
    "この候補は他の職員が先に更新しました。画面を更新して最新の内容を確認してください。"
)
REJECT_REASONS = [
    ("field_mismatch", gettext_lazy("分野・内容が合わない")),
    ("ward", gettext_lazy("対象地域が合わない")),
    ("period", gettext_lazy("時期が合わない")),
    ("capacity", gettext_lazy("規模・受入余力が足りない")),
    ("cost", gettext_lazy("費用・条件が合わない")),
    ("duplicate", gettext_lazy("既に別の連携で対応中")),
    ("other", gettext_lazy("その他")),
]
LABELS: dict[str, int] = {
    Decision.Verdict.APPROVED: 2,
    Decision.Verdict.REQUESTED: 2,
    Decision.Verdict.HELD: 1,
    Decision.Verdict.REJECTED: 0,
}
COMPLETED_LABEL = 3


# ------------------------------------------------------------------------ settings


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
    row = matching_settings_get()
    with transaction.atomic():
        values = {name: data[name] for name in [*FEATURES, "top_k", "use_learned"] if name in data}
        updated = MatchingSettings.objects.filter(pk=row.pk, version=expected_version).update(
            **values, updated_by=user, updated_at=timezone.now(), version=F("version") + 1
        )
        if not updated:
            raise ValidationError(CONFLICT_MESSAGE)
        row.refresh_from_db()
        # keep the audit trail: record the new state as a history row
        row.save(update_fields=["updated_at"])
    return row


# ------------------------------------------------------------------------ engine versions


class _MemoAnalyzer:
    """Tokenises each text once while fitting, so transforming the same texts costs nothing."""

    def __init__(self, base) -> None:
        self.base = base
        self.memo: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        found = self.memo.get(text)
        if found is None:
            found = self.memo[text] = self.base(text)
        return found


def ranker_training_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, graded labels and issue groups from staff decisions and project outcomes.

    The latest decision on a pair counts; a pair whose proposal became a completed project is
    labelled 3 (the strongest positive).
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
    completed = Project.objects.filter(
        status=Project.Status.COMPLETED, proposal__isnull=False
    ).values_list("proposal__issue_id", "proposal__resource_id")
    for key in completed:
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
    memo = _MemoAnalyzer(base)
    documents = issue_docs + resource_docs or ["（空）"]
    index = fit_index(documents=documents, analyzer=memo)
    issue_matrix = transform(index, issue_docs) if issue_docs else None
    resource_matrix = transform(index, resource_docs) if resource_docs else None
    index.vectorizer.analyzer = base  # the memo must not be stored
    width = len(index.terms)
    from scipy import sparse

    vectors = vectors_to_bytes(
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
        )
        old = list(
            EngineVersion.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)[
                KEEP_VERSIONS:
            ]
        )
        if old:
            EngineVersion.objects.filter(pk__in=old).delete()
    return version


def engine_version_current() -> EngineVersion:
    version = EngineVersion.objects.order_by("-created_at", "-pk").first()
    return version or engine_version_build()


# ------------------------------------------------------------------------ runs


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError, ConnectionError, TimeoutError]
    try:
        from kombu.exceptions import OperationalError

        errors.append(OperationalError)
    except ImportError:  # pragma: no cover
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def _send_to_broker(task, *, run_id: int, **kwargs: Any) -> None:
    try:
        with task.app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
            task.apply_async(kwargs={"run_id": run_id, **kwargs}, connection=connection)
    except _broker_errors():
        logger.warning("broker unreachable, run %s failed", run_id, exc_info=True)
        match_run_fail(run_id=run_id, error=str(BROKER_DOWN_MESSAGE))


def run_dispatch(task, *, run_id: int, **kwargs: Any) -> None:
    """Send a run's task after commit: in-process without a broker, else to the workers.

    A broker that cannot be reached marks the run failed with a plain message instead of
    raising into the caller (a web request or a command).
    """
    if settings.TASKS_IN_PROCESS:
        task_enqueue(task, run_id=run_id, **kwargs)
    else:
        transaction.on_commit(lambda: _send_to_broker(task, run_id=run_id, **kwargs))


def match_run_start(
    *,
    scope: str,
    issue: Issue | None = None,
    started_by: User | None = None,
    key: str | None = None,
) -> MatchRun:
    """Create (or, for a known idempotency key, return) a run and send it to the engine."""
    from matching import tasks

    if scope == MatchRun.Scope.ISSUE and issue is None:
        raise ValidationError(_("課題を指定してください。"))
    key = key or uuid.uuid4().hex
    with transaction.atomic():
        run, created = MatchRun.objects.get_or_create(
            key=key,
            defaults={
                "scope": scope,
                "issue": issue if scope == MatchRun.Scope.ISSUE else None,
                "started_by": started_by,
            },
        )
        if created:
            run_dispatch(tasks.matching_run_prepare, run_id=run.pk)
    return run


def match_run_retry(*, run: MatchRun, started_by: User | None = None) -> MatchRun:
    if run.status not in (MatchRun.Status.FAILED,) and not match_run_stalled(run):
        raise ValidationError(_("失敗した実行だけを再実行できます。"))
    if run.status != MatchRun.Status.FAILED:
        match_run_fail(run_id=run.pk, error=_("応答がないため中断しました。"))
    return match_run_start(scope=run.scope, issue=run.issue, started_by=started_by)


def match_run_stalled(run: MatchRun, *, minutes: int = 30) -> bool:
    """A run still marked running long after it started (its worker probably died)."""
    if run.finished:
        return False
    since = run.started_at or run.created_at
    return since < timezone.now() - datetime.timedelta(minutes=minutes)


def match_runs_resume(*, now: datetime.datetime | None = None) -> list[int]:
    """Send again the work of unfinished runs that made no progress for a while.

    The broker normally brings a lost task back by itself (a dead pool process's task is
    rejected and requeued, a dead worker's after the visibility timeout). This covers what the
    broker itself lost — a Redis restored from an older file, a publish that failed for good —
    by re-sending the run's prepare task, which re-sends exactly its unfinished chunks (and
    starts over if it never split the run). Re-sent work is idempotent.
    """
    now = now or timezone.now()
    idle_since = now - datetime.timedelta(seconds=settings.MATCHING_RESUME_AFTER_SECONDS)
    from matching import tasks

    resumed = []
    runs = MatchRun.objects.filter(
        status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
    ).annotate(last_chunk_done=Max("chunks__done_at"))
    for run in runs:
        moments = [run.created_at, run.started_at, run.resumed_at, run.last_chunk_done]
        if max(moment for moment in moments if moment) > idle_since:
            continue
        with transaction.atomic():
            MatchRun.objects.filter(pk=run.pk).update(resumed_at=now)
            run_dispatch(tasks.matching_run_prepare, run_id=run.pk)
        resumed.append(run.pk)
    return resumed


def match_run_fail(*, run_id: int, error: str) -> None:
    MatchRun.objects.filter(
        pk=run_id, status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
    ).update(status=MatchRun.Status.FAILED, error=error[:2000], finished_at=timezone.now())


def match_run_prepare(*, run_id: int) -> list[int]:
    """Fit (full run) or load (single issue) the engine, split the issues into chunks.

    Returns the ids of the chunks still to do; a redelivered prepare returns the unfinished
    chunks of the first delivery instead of creating new ones.
    """
    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.RUNNING and run.chunks_total:
        return _unfinished_chunk_ids(run)
    # RUNNING without chunks: the first delivery died while fitting; start over.
    if run.status not in (MatchRun.Status.QUEUED, MatchRun.Status.RUNNING):
        return []
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.RUNNING, started_at=timezone.now()
    )
    if run.scope == MatchRun.Scope.ALL:
        version = engine_version_build()
        issue_ids = list(
            Issue.objects.filter(status__in=MATCHED_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        version = engine_version_current()
        issue_ids = [run.issue_id] if run.issue_id else []
    size = settings.MATCHING_CHUNK_SIZE
    chunks = [issue_ids[i : i + size] for i in range(0, len(issue_ids), size)]
    with transaction.atomic():
        if MatchRun.objects.select_for_update().get(pk=run_id).chunks_total:
            # A concurrent delivery split the run first: its chunks are the run's.
            return _unfinished_chunk_ids(run)
        created = MatchChunk.objects.bulk_create(
            [MatchChunk(run=run, index=i, issue_ids=ids) for i, ids in enumerate(chunks)]
        )
        MatchRun.objects.filter(pk=run_id).update(engine_version=version, chunks_total=len(chunks))
        if not chunks:
            MatchRun.objects.filter(pk=run_id).update(
                status=MatchRun.Status.SUCCEEDED, finished_at=timezone.now()
            )
    return [chunk.pk for chunk in created]


def _unfinished_chunk_ids(run: MatchRun) -> list[int]:
    return list(run.chunks.filter(done_at__isnull=True).values_list("pk", flat=True))


_context_cache: dict[str, Any] = {}


def _context_for(run: MatchRun):
    """One MatchContext per run and process: chunks of a run in the same worker share it."""
    cached = _context_cache.get("ctx")
    if cached is not None and _context_cache.get("run") == run.pk:
        return cached
    engine = engine_load(run.engine_version_id)
    if engine is None:
        raise RuntimeError("engine version missing")
    row = matching_settings_get()
    ctx = context_build(
        engine=engine, weights=weights_of(row), top_k=row.top_k, allow_learned=row.use_learned
    )
    _context_cache.clear()
    _context_cache.update(run=run.pk, ctx=ctx)
    return ctx


def _fast_delete(qs) -> None:
    """Delete candidate rows in one statement: null the references first (what SET_NULL would
    do row by row through the collector and its signals), then delete without the collector."""
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return
    for relation in Candidate._meta.related_objects:
        if relation.on_delete is not models.SET_NULL:
            continue
        name = relation.field.name
        relation.related_model._base_manager.filter(**{f"{name}__in": ids}).update(**{name: None})
    for start in range(0, len(ids), 5000):
        Candidate.objects.filter(pk__in=ids[start : start + 5000])._raw_delete(qs.db)


def candidates_replace(
    *, issue_ids: list[int], results: dict[int, list[PairResult]], run: MatchRun | None
) -> int:
    """Replace the candidates of these issues with `results` in one transaction.

    Plain rows are deleted and bulk-created again (fast, and a re-run gives the same rows).
    Rows staff already acted on (shortlisted or with a verdict) keep their id, state and lock
    version: they are updated in place, or kept with current=False when no longer ranked.
    """
    now = timezone.now()
    with transaction.atomic():
        kept = {
            (c.issue_id, c.resource_id): c
            for c in Candidate.objects.select_for_update()
            .filter(issue_id__in=issue_ids)
            .filter(Q(shortlisted=True) | ~Q(verdict=""))
        }
        _fast_delete(
            Candidate.objects.filter(issue_id__in=issue_ids, shortlisted=False, verdict="")
        )
        to_create, to_update = [], []
        for issue_id in issue_ids:
            for pair in results.get(issue_id, []):
                candidate = kept.pop((issue_id, pair.resource_id), None)
                if candidate is None:
                    to_create.append(
                        Candidate(
                            issue_id=issue_id,
                            resource_id=pair.resource_id,
                            run=run,
                            rank=pair.rank,
                            score=pair.score,
                            components=pair.components,
                            explanation=pair.explanation,
                        )
                    )
                    continue
                candidate.run = run
                candidate.rank = pair.rank
                candidate.score = pair.score
                candidate.components = pair.components
                candidate.explanation = pair.explanation
                candidate.current = True
                candidate.updated_at = now
                to_update.append(candidate)
        if kept:  # acted on, but no longer ranked
            Candidate.objects.filter(pk__in=[c.pk for c in kept.values()]).update(
                current=False, rank=999
            )
        if to_update:
            Candidate.objects.bulk_update(
                to_update,
                ["run", "rank", "score", "components", "explanation", "current", "updated_at"],
            )
        if to_create:
            _insert_candidates(to_create, now=now)
    return len(to_create) + len(to_update)


_INSERT_COLUMNS = [
    "issue_id",
    "resource_id",
    "run_id",
    "rank",
    "score",
    "components",
    "explanation",
    "shortlisted",
    "updated_at",
    "version",
    "verdict",
    "current",
]


def _insert_candidates(rows: list[Candidate], *, now) -> None:
    """executemany of one INSERT: Django's bulk_create compiles ~0.6 ms per row, this ~0.05."""
    import json

    from django.db import connections, router

    db = router.db_for_write(Candidate)
    connection = connections[db]
    stamp = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(Candidate._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608
    params = [
        (
            c.issue_id,
            c.resource_id,
            c.run_id,
            c.rank,
            c.score,
            json.dumps(c.components, ensure_ascii=False),
            json.dumps(c.explanation, ensure_ascii=False),
            False,
            stamp,
            1,
            "",
            True,
        )
        for c in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def match_chunk_execute(*, chunk_id: int) -> int:
    """Score one chunk and replace its candidates; the run completes with its last chunk.

    Safe to deliver more than once (at-least-once broker): the chunk row is locked while its
    candidates are written, and a chunk already done is skipped, so a redelivered or duplicate
    task neither writes twice nor counts twice. Losing the database connection propagates
    (the task retries); any other error fails the run with its message.
    """
    chunk = MatchChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    if run.status != MatchRun.Status.RUNNING or chunk.done_at is not None:
        return 0
    MatchChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    started = time.perf_counter()
    try:
        ctx = _context_for(run)
        results = compute_matches(list(chunk.issue_ids), ctx)
        with transaction.atomic():
            locked = MatchChunk.objects.select_for_update().get(pk=chunk.pk)
            if locked.done_at is not None:
                return 0
            count = candidates_replace(issue_ids=list(chunk.issue_ids), results=results, run=run)
            _exposure_record(run=run, chunk=chunk, results=results)
            MatchChunk.objects.filter(pk=chunk.pk).update(
                done_at=timezone.now(), seconds=round(time.perf_counter() - started, 3)
            )
            MatchRun.objects.filter(pk=run.pk).update(
                chunks_done=F("chunks_done") + 1,
                candidate_count=F("candidate_count") + count,
            )
    except DATABASE_LOST:
        raise
    except Exception as exc:
        logger.exception("matching chunk %s failed", chunk_id)
        match_run_fail(
            run_id=run.pk,
            error=_("チャンク %(index)d の処理に失敗しました: %(error)s")
            % {"index": chunk.index + 1, "error": exc},
        )
        return 0
    MatchRun.objects.filter(
        pk=run.pk, status=MatchRun.Status.RUNNING, chunks_done__gte=F("chunks_total")
    ).update(status=MatchRun.Status.SUCCEEDED, finished_at=timezone.now())
    return count


def _exposure_record(*, run: MatchRun, chunk: MatchChunk, results: dict[int, list[PairResult]]):
    """How often each organisation was shown in a top 5 (the fairness screen's numbers)."""
    shown = Counter(
        pair.organization_id for pairs in results.values() for pair in pairs if pair.rank <= 5
    )
    ExposureLog.objects.filter(run=run, chunk=chunk.index).delete()
    ExposureLog.objects.bulk_create(
        [
            ExposureLog(
                organization_id=org,
                kind=ExposureLog.Kind.SHOWN,
                count=n,
                run=run,
                chunk=chunk.index,
            )
            for org, n in shown.items()
        ]
    )


def matching_refresh_issue(*, issue_id: int, started_by: User | None = None) -> MatchRun:
    """Recompute one issue's candidates now, in this process (well under a second).

    The issues screens may call this after saving an issue (matching imports issues, never the
    other way round, so the caller is matching's own screen or command for now).
    """
    issue = Issue.objects.get(pk=issue_id)
    version = engine_version_current()
    with transaction.atomic():
        run = MatchRun.objects.create(
            key=uuid.uuid4().hex,
            scope=MatchRun.Scope.ISSUE,
            issue=issue,
            started_by=started_by,
            status=MatchRun.Status.RUNNING,
            started_at=timezone.now(),
            engine_version=version,
            chunks_total=1,
        )
        chunk = MatchChunk.objects.create(run=run, index=0, issue_ids=[issue.pk])
    match_chunk_execute(chunk_id=chunk.pk)
    run.refresh_from_db()
    return run


# ------------------------------------------------------------------------ decisions


def can_decide(user: User, issue: Issue) -> bool:
    """Coordinators of the issue's ward (any ward for an issue without one) and admins."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COORDINATOR:
        return False
    return issue.ward_id is None or issue.ward_id == user.ward_id


def can_approve(user: User, issue: Issue) -> bool:
    """Approvers of the issue's ward (any ward for an issue without one) and admins."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.APPROVER:
        return False
    return issue.ward_id is None or user.ward_id is None or issue.ward_id == user.ward_id


def allowed_verdicts(user: User, issue: Issue) -> list[str]:
    verdicts: list[str] = []
    if can_approve(user, issue):
        verdicts.append(Decision.Verdict.APPROVED)
    if can_decide(user, issue):
        verdicts.append(Decision.Verdict.REQUESTED)
    if can_decide(user, issue) or can_approve(user, issue):
        verdicts += [Decision.Verdict.HELD, Decision.Verdict.REJECTED]
    return verdicts


def _bump(candidate: Candidate, expected_version: int, **values: Any) -> None:
    updated = Candidate.objects.filter(pk=candidate.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise ValidationError(CONFLICT_MESSAGE, code="conflict")
    candidate.version = expected_version + 1
    for name, value in values.items():
        setattr(candidate, name, value)


def decision_record(
    *,
    candidate: Candidate,
    user: User,
    verdict: str,
    expected_version: int,
    reason: str = "",
    comment: str = "",
) -> Decision:
    """Record a staff verdict on a candidate; an approval sends a proposal to the organisation."""
    issue = candidate.issue
    if verdict not in allowed_verdicts(user, issue):
        raise PermissionDenied
    if verdict == Decision.Verdict.REJECTED and not reason:
        raise ValidationError(_("却下の理由を選んでください。"))
    if reason and reason not in dict(REJECT_REASONS):
        raise ValidationError(_("理由の値が不正です。"))
    with transaction.atomic():
        _bump(candidate, expected_version, verdict=verdict)
        decision = Decision.objects.create(
            issue=issue,
            resource=candidate.resource,
            candidate=candidate,
            verdict=verdict,
            reason=reason,
            comment=comment.strip(),
            shown_rank=candidate.rank if candidate.current else None,
            shown_score=candidate.score,
            features=(candidate.components or {}).get("features", {}),
            decided_by=user,
        )
        if verdict == Decision.Verdict.APPROVED:
            proposal_create(decision=decision, created_by=user)
        elif verdict == Decision.Verdict.REQUESTED:
            # Everyone can_approve lets act: the ward's approvers and those of no ward
            # (every approver for an issue without a ward).
            approvers = User.objects.filter(role=Role.APPROVER, is_active=True)
            if issue.ward_id is not None:
                approvers = approvers.filter(Q(ward_id=issue.ward_id) | Q(ward__isnull=True))
            recipients = list(approvers)
            if recipients:
                notification_send(
                    recipients=recipients,
                    message=_("承認依頼: %(issue)s × %(resource)s")
                    % {"issue": issue.title, "resource": candidate.resource.title},
                    url=reverse("matching:issue_review", args=[issue.pk]),
                    email=False,
                )
    return decision


def candidate_shortlist(
    *, candidate: Candidate, user: User, expected_version: int, shortlisted: bool
) -> Candidate:
    if not can_decide(user, candidate.issue):
        raise PermissionDenied
    with transaction.atomic():
        _bump(candidate, expected_version, shortlisted=shortlisted)
    return candidate


# ------------------------------------------------------------------------ proposals


def _partner_users(organization_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=organization_id, user__is_active=True
        ).select_related("user")
    ]


def proposal_create(
    *,
    decision: Decision,
    created_by: User | None,
    deadline: datetime.date | None = None,
    message: str = "",
) -> Proposal:
    resource = decision.resource
    with transaction.atomic():
        existing = Proposal.objects.filter(
            issue=decision.issue, resource=resource, status=Proposal.Status.SENT
        ).first()
        if existing:
            return existing
        proposal = Proposal.objects.create(
            issue=decision.issue,
            resource=resource,
            organization_id=resource.organization_id,
            decision=decision,
            message=message,
            deadline=deadline or timezone.localdate() + datetime.timedelta(days=PROPOSAL_DAYS),
            created_by=created_by,
        )
        ExposureLog.objects.create(
            organization_id=resource.organization_id,
            kind=ExposureLog.Kind.PROPOSED,
            proposal=proposal,
        )
        recipients = _partner_users(resource.organization_id)
        if recipients:
            notification_send(
                recipients=recipients,
                message=_("連携の提案が届きました: %(issue)s（回答期限 %(deadline)s）")
                % {"issue": decision.issue.title, "deadline": proposal.deadline},
                url=reverse("matching:partner_proposal", args=[proposal.pk]),
            )
    return proposal


def proposal_respond(*, proposal: Proposal, user: User, accept: bool, reason: str = "") -> Proposal:
    """A partner of the proposed organisation accepts (→ project) or declines (reason required)."""
    membership = Membership.objects.filter(user=user).first()
    if membership is None or membership.organization_id != proposal.organization_id:
        raise PermissionDenied
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != Proposal.Status.SENT:
            raise ValidationError(_("この提案には既に回答済みか、期限が過ぎています。"))
        if locked.deadline < timezone.localdate():
            raise ValidationError(_("回答期限が過ぎています。"))
        if not accept and not reason.strip():
            raise ValidationError(_("辞退の理由を入力してください。"))
        locked.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.DECLINED
        locked.response_reason = reason.strip()
        locked.responded_at = timezone.now()
        locked.save(update_fields=["status", "response_reason", "responded_at"])
        issue = locked.issue
        if accept:
            project_create(
                title=f"{issue.title}（{locked.organization.name}）",
                summary=locked.resource.title,
                issues=[issue],
                organizations=[locked.organization],
                start_date=timezone.localdate(),
                proposal=locked,
                resource=locked.resource,
                ward=issue.ward,
                field=issue.field,
                coordinator=issue.coordinator,
                created_by=user,
            )
        staff = [u for u in {issue.coordinator, locked.created_by} if u is not None and u.is_active]
        if staff:
            notification_send(
                recipients=staff,
                message=(
                    _("提案が受諾されました: %(issue)s × %(org)s")
                    if accept
                    else _("提案が辞退されました: %(issue)s × %(org)s")
                )
                % {"issue": issue.title, "org": locked.organization.name},
                url=reverse("matching:issue_review", args=[issue.pk]),
                email=False,
            )
    return locked


def proposals_expire(*, today: datetime.date | None = None) -> dict[str, int]:
    """Expire overdue proposals and remind partners 3 days before the deadline."""
    today = today or timezone.localdate()
    expired = 0
    for proposal in Proposal.objects.filter(status=Proposal.Status.SENT, deadline__lt=today):
        with transaction.atomic():
            expired += Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.SENT).update(
                status=Proposal.Status.EXPIRED
            )
    reminded = 0
    due = Proposal.objects.filter(
        status=Proposal.Status.SENT,
        reminded_at__isnull=True,
        deadline__gte=today,
        deadline__lte=today + datetime.timedelta(days=REMINDER_DAYS),
    ).select_related("issue")
    for proposal in due:
        with transaction.atomic():
            if not Proposal.objects.filter(pk=proposal.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            recipients = _partner_users(proposal.organization_id)
            if recipients:
                notification_send(
                    recipients=recipients,
                    message=_("提案への回答期限が近づいています: %(issue)s（期限 %(deadline)s）")
                    % {"issue": proposal.issue.title, "deadline": proposal.deadline},
                    url=reverse("matching:partner_proposal", args=[proposal.pk]),
                )
            reminded += 1
    return {"expired": expired, "reminded": reminded}


# ------------------------------------------------------------------------ projects

PROJECT_TRANSITIONS: dict[str, set[Project.Status]] = {
    Project.Status.PREPARING: {Project.Status.RUNNING, Project.Status.CANCELLED},
    Project.Status.RUNNING: {Project.Status.COMPLETED, Project.Status.CANCELLED},
    Project.Status.COMPLETED: {Project.Status.RUNNING},
    Project.Status.CANCELLED: {Project.Status.PREPARING},
}


def project_create(
    *,
    title: str,
    issues: list[Issue],
    organizations: list,
    start_date: datetime.date,
    created_by: User | None = None,
    summary: str = "",
    proposal: Proposal | None = None,
    resource: Resource | None = None,
    ward=None,
    field=None,
    coordinator: User | None = None,
    status: str = Project.Status.PREPARING,
    end_date: datetime.date | None = None,
    public_cost: int = 0,
    partner_cost: int = 0,
    in_kind_value: int = 0,
    participants: int = 0,
    beneficiaries: int = 0,
) -> Project:
    """A collaboration project (連携事業); its issues move to 連携中."""
    if not title.strip():
        raise ValidationError(_("事業名を入力してください。"))
    if end_date and end_date < start_date:
        raise ValidationError(_("終了日は開始日より後にしてください。"))
    if status not in Project.Status.values:
        raise ValidationError(_("状態の値が不正です。"))
    with transaction.atomic():
        project = Project.objects.create(
            title=title.strip()[:200],
            summary=summary,
            proposal=proposal,
            resource=resource,
            ward=ward,
            field=field,
            coordinator=coordinator,
            start_date=start_date,
            end_date=end_date,
            status=status,
            public_cost=public_cost,
            partner_cost=partner_cost,
            in_kind_value=in_kind_value,
            participants=participants,
            beneficiaries=beneficiaries,
        )
        project.issues.set(issues)
        project.organizations.set(organizations)
        if status != Project.Status.CANCELLED:
            for issue in issues:
                _issue_status_set(issue, IssueStatus.COLLABORATING)
    return project


def _issue_status_set(issue: Issue, status: str) -> None:
    # The partner's acceptance moves the issue on its behalf: the issues workflow's staff-only
    # edit rule does not apply, but the move is stamped like any other status change.
    if issue.status == status:
        return
    issue.status = status
    issue.status_changed_at = timezone.now()
    issue.version += 1
    issue.save(update_fields=["status", "status_changed_at", "version", "updated_at"])


def project_status_change(*, project: Project, status: str, changed_by: User | None) -> Project:
    """Move a project along its lifecycle (evaluation calls this too)."""
    if status == project.status:
        return project
    if status not in PROJECT_TRANSITIONS.get(project.status, set()):
        raise ValidationError(
            _("「%(from)s」から「%(to)s」には変更できません。")
            % {"from": project.get_status_display(), "to": Project.Status(status).label}
        )
    with transaction.atomic():
        project.status = status
        fields = ["status"]
        if status in (Project.Status.COMPLETED, Project.Status.CANCELLED) and not project.end_date:
            project.end_date = timezone.localdate()
            fields.append("end_date")
        project._history_user = changed_by  # type: ignore[attr-defined]
        project.save(update_fields=fields)
    return project


def default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)
