"""Matching runs: start, dispatch to the broker, chunks, candidates, resume and refresh."""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections import Counter
from typing import Any

from django import db
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.models import Issue, IssueStatus
from matching.engine.services import (
    engine_version_build,
    engine_version_current,
    matching_settings_get,
    weights_of,
)
from matching.exposure import WINDOW, Ranked, exposure_cap, ranking_quality, top_share
from matching.models import (
    Candidate,
    ExposureLog,
    MatchChunk,
    MatchRun,
)
from matching.scoring import (
    PairResult,
    compute_matches,
    context_build,
    engine_load,
)
from partners.models import Organization
from portal.models import User
from portal.services import task_send_or_report

logger = logging.getLogger(__name__)

MATCHED_STATUSES = [IssueStatus.OPEN, IssueStatus.REVIEWING]
# A restarted or unreachable database: the task retries instead of failing the run.
DATABASE_LOST = (db.OperationalError, db.InterfaceError)
BROKER_DOWN_MESSAGE = gettext_lazy(
    "マッチング処理（ワーカー）に接続できません。しばらくしてから再実行してください。"
)


def run_dispatch(task, *, run_id: int, **kwargs: Any) -> None:
    """Send a run's task after commit: in-process without a broker, else to the workers.

    A broker that cannot be reached marks the run failed with a plain message instead of
    raising into the caller (a web request or a command).
    """
    task_send_or_report(
        task,
        kwargs={"run_id": run_id, **kwargs},
        unreachable=lambda: match_run_fail(run_id=run_id, error=str(BROKER_DOWN_MESSAGE)),
    )


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
    with transaction.atomic():
        finished = MatchRun.objects.filter(
            pk=run.pk, status=MatchRun.Status.RUNNING, chunks_done__gte=F("chunks_total")
        ).update(status=MatchRun.Status.SUCCEEDED, finished_at=timezone.now())
        if finished:
            exposure_cap_apply(run=run)
    return count


def exposure_cap_apply(*, run: MatchRun) -> dict[str, Any]:
    """Apply the engine settings' exposure cap to the current candidates of all open issues.

    Runs when `run` finishes, and again when staff change the cap (exposure_cap_reapply): the
    cap is a share of the shown slots across every open issue, so it needs all of them, not one
    chunk. The rule is matching.exposure.exposure_cap; it starts from each candidate's engine
    rank (kept in components["engine_rank"] once the cap moved it), so applying it again, or
    after a one-issue refresh, gives the same order. A moved candidate's explanation gains
    {"cap": {"direction": "down"|"up", "percent": cap}}; the run's "shown" exposure is recorded
    again from the capped ranks. Returns (and stores on the run as cap_effect) the moves, the
    top-10 % share of shown slots and the ranking quality (matching.exposure.ranking_quality)
    with the cap off and on.

    With the cap at 0 (off) the candidates an earlier cap moved go back to their engine rank
    (the unmodified scores' order) and lose the cap note, the run's cap_effect becomes {}, and
    {} is returned; when no candidate carries a cap move nothing more is read or written.
    Queries: a fixed handful, whatever the row count.
    """
    cap = matching_settings_get().exposure_cap
    current = Candidate.objects.filter(current=True, issue__status__in=MATCHED_STATUSES)
    if not cap and not current.filter(components__has_key="engine_rank").exists():
        return {}
    rows = list(
        current.select_for_update(of=("self",))
        .select_related("resource")
        .only(
            *("pk", "issue_id", "resource_id", "rank", "score", "components", "explanation"),
            *("run_id", "resource__organization_id"),
        )
    )
    engine_rank = {row.pk: (row.components or {}).get("engine_rank", row.rank) for row in rows}
    by_issue: dict[int, list[Candidate]] = {}
    for row in sorted(rows, key=lambda r: (r.issue_id, engine_rank[r.pk], r.pk)):
        by_issue.setdefault(row.issue_id, []).append(row)
    before = {
        issue: [Ranked(r.resource_id, r.resource.organization_id, r.score) for r in pairs]
        for issue, pairs in by_issue.items()
    }
    capped = exposure_cap(before, cap_percent=cap)
    changed = []
    for issue, pairs in by_issue.items():
        position = {pair.key: n for n, pair in enumerate(capped.rankings[issue], start=1)}
        for row in pairs:
            rank, moved = position[row.resource_id], capped.moved.get((issue, row.resource_id))
            explanation = dict(row.explanation or {})
            components = dict(row.components or {})
            note = {"direction": moved, "percent": cap} if moved else None
            if cap:
                if rank == row.rank and explanation.get("cap") == note:
                    continue
                components["engine_rank"] = engine_rank[row.pk]
            elif components.pop("engine_rank", None) is None and "cap" not in explanation:
                continue  # off, and never moved: already in the engine's order
            row.components = components
            explanation.pop("cap", None)
            if note:
                explanation["cap"] = note
            row.rank, row.explanation = rank, explanation
            changed.append(row)
    Candidate.objects.bulk_update(changed, ["rank", "components", "explanation"], batch_size=500)
    shown = Counter(
        r.resource.organization_id for r in rows if r.run_id == run.pk and r.rank <= WINDOW
    )
    ExposureLog.objects.filter(run=run, kind=ExposureLog.Kind.SHOWN).delete()
    ExposureLog.objects.bulk_create(
        ExposureLog(organization_id=org, kind=ExposureLog.Kind.SHOWN, count=n, run=run)
        for org, n in shown.items()
    )
    if not cap:
        MatchRun.objects.filter(pk=run.pk).update(cap_effect={})
        return {}
    organizations = Organization.objects.filter(status="approved").count()
    off, on = ranking_quality(before, before), ranking_quality(before, capped.rankings)
    effect = {
        "percent": cap,
        "slots": capped.slots,
        "limit": capped.limit,
        "moved": sum(1 for d in capped.moved.values() if d == "down"),
        "unmet": capped.unmet,
        "off": {**off, "top_share": top_share(before, organizations)},
        "on": {**on, "top_share": top_share(capped.rankings, organizations)},
    }
    MatchRun.objects.filter(pk=run.pk).update(cap_effect=effect)
    return effect


def exposure_cap_reapply() -> dict[str, Any]:
    """The current candidates re-ranked under the exposure cap staff just set (restored to the
    engine's order when they turned it off), without waiting for the next full run: a one-issue
    refresh between the two would otherwise leave every other issue's moved ranks in place.

    Recorded on the last finished run (what the fairness screen shows, cap_effect_last); {} when
    no run has finished (there are no ranks to move yet). Same return as exposure_cap_apply.
    """
    run = (
        MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return {}
    with transaction.atomic():
        return exposure_cap_apply(run=run)


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
