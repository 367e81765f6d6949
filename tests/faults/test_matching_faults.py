"""A full matching run survives a crash of each part under it, losing and duplicating nothing.

Each test starts a run on a private Redis and worker, waits until a chunk is being executed,
then breaks one thing: the worker's pool processes (kill -9), the whole worker (kill -9 of the
process group, then a new worker), Redis (kill -9, then restarted on its AOF), or the
PostgreSQL server (restarted). The run must then finish on its own with exactly the
candidates a run without faults computes: every chunk done once, every issue's candidates from
this run, the run's candidate count equal to the rows written.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from django.db import connections

from matching.models import Candidate, MatchChunk, MatchRun
from matching.runs import services as run_services
from matching.scoring import compute_matches
from tests.faults.harness import wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
]

ISSUES, RESOURCES = 480, 1200
RUN_TIMEOUT = 150


@pytest.fixture
def world():
    from benchmarks.bench_matching import seed

    seed(ISSUES, RESOURCES, 11)


def _start_run() -> MatchRun:
    return run_services.match_run_start(scope=MatchRun.Scope.ALL)


def _running_chunk(run: MatchRun) -> int | None:
    run.refresh_from_db()
    assert not run.finished, f"the run ended ({run.status}) before the fault: {run.error}"
    return (
        MatchChunk.objects.filter(run=run, attempts__gte=1, done_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


def _interrupt_a_chunk(run: MatchRun, fault) -> int:
    """Apply `fault` while a chunk is executing; return that chunk if the fault cut it short."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        busy = _running_chunk(run)
        if busy is not None:
            fault()
            if not MatchChunk.objects.filter(pk=busy, done_at__isnull=False).exists():
                return busy
        time.sleep(0.01)
    raise AssertionError("no chunk was seen executing")


def _assert_finished_exactly_once(
    run: MatchRun, interrupted: int, *, rerun: bool = True, beat=None
) -> None:
    def finished() -> bool:
        if beat is not None:
            beat()
        return MatchRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists()

    try:
        wait_for(
            finished,
            timeout=RUN_TIMEOUT,
            interval=0.25,
            what="the run to finish after the fault",
        )
    except TimeoutError:
        run.refresh_from_db()
        chunks = list(run.chunks.values_list("index", "attempts", "done_at"))
        state = f"run {run.status} {run.chunks_done}/{run.chunks_total}: {chunks}"
        raise AssertionError(state) from None
    run.refresh_from_db()
    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    assert MatchRun.objects.exclude(status=MatchRun.Status.SUCCEEDED).count() == 0  # none lost

    chunks = list(run.chunks.all())
    assert run.chunks_done == run.chunks_total == len(chunks) > 3
    assert all(chunk.done_at for chunk in chunks)
    if rerun:  # the chunk that was cut short was executed again
        assert MatchChunk.objects.get(pk=interrupted).attempts >= 2
    issue_ids = [issue_id for chunk in chunks for issue_id in chunk.issue_ids]
    assert len(issue_ids) == len(set(issue_ids)) == ISSUES

    rows = list(
        Candidate.objects.filter(issue_id__in=issue_ids).values_list(
            "issue_id", "resource_id", "rank", "run_id"
        )
    )
    assert {row[3] for row in rows} == {run.pk}  # no issue kept candidates of another run
    assert len(rows) == run.candidate_count  # nothing written or counted twice
    expected = compute_matches(issue_ids, run_services._context_for(run))
    assert sorted(row[:3] for row in rows) == sorted(
        (issue_id, pair.resource_id, pair.rank)
        for issue_id, pairs in expected.items()
        for pair in pairs
    )


def test_killing_the_pool_process_mid_chunk_loses_nothing(world, private_services):
    _, start_worker = private_services
    worker = start_worker()
    run = _start_run()

    interrupted = _interrupt_a_chunk(run, worker.kill_pool)

    _assert_finished_exactly_once(run, interrupted)


def test_killing_the_whole_worker_mid_chunk_loses_nothing(world, private_services):
    _, start_worker = private_services
    workers = [start_worker()]
    run = _start_run()

    def kill_and_replace_the_worker():
        workers[-1].kill()
        # The new worker gets the dead one's unacknowledged tasks after the visibility timeout.
        workers.append(start_worker())

    interrupted = _interrupt_a_chunk(run, kill_and_replace_the_worker)

    _assert_finished_exactly_once(run, interrupted)


def test_killing_redis_mid_chunk_loses_nothing(world, private_services, settings):
    redis, start_worker = private_services
    worker = start_worker()
    run = _start_run()

    # The chunk executing when Redis dies still commits (it needs only the database), but its
    # acknowledgement is lost: the task comes back after the visibility timeout and must then
    # change nothing. Two kombu 5.7 failures follow a Redis restart under a live worker: a
    # prefetched task can stay stranded in Redis's unacked hash, and the worker's consumer
    # can stop for good (2 of 3 CI runs). The beat's sweeper re-sends an idle run's work
    # (every 5 minutes in production; each poll here, for runs idle 5 s), and docker-compose's
    # worker healthcheck ends a worker that no longer answers, so Docker starts a new one
    # (here: when the run makes no progress for 20 s).
    settings.MATCHING_RESUME_AFTER_SECONDS = 5
    interrupted = _interrupt_a_chunk(run, redis.kill)
    time.sleep(1)
    redis.start()
    if not _progress_within(run, seconds=20):
        worker.kill()
        start_worker()

    _assert_finished_exactly_once(
        run, interrupted, rerun=False, beat=run_services.match_runs_resume
    )


def _progress_within(run: MatchRun, *, seconds: float) -> bool:
    done = MatchChunk.objects.filter(run=run, done_at__isnull=False).count()
    try:
        wait_for(
            lambda: (
                MatchChunk.objects.filter(run=run, done_at__isnull=False).count() > done
                or MatchRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists()
            ),
            timeout=seconds,
            interval=0.25,
            what="a chunk finishing",
        )
    except TimeoutError:
        return False
    return True


@pytest.mark.pg_restart
def test_restarting_postgresql_mid_chunk_loses_nothing(world, private_services):
    _, start_worker = private_services
    start_worker()
    run = _start_run()

    def restart_postgresql():
        restart = [os.environ["PORTAL_PG_RESTART"]]  # a script CI writes
        subprocess.run(restart, check=True, timeout=60)  # nosec B603
        connections.close_all()  # this process's connection died with the server

    interrupted = _interrupt_a_chunk(run, restart_postgresql)

    _assert_finished_exactly_once(run, interrupted)
