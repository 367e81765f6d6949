"""The real path: a full run through Redis and a separate Celery worker."""

from __future__ import annotations

import time

import pytest

from matching.models import Candidate, MatchRun
from matching.runs.services import match_run_start
from tests.matching.factories import matching_world


def wait_for(run: MatchRun, timeout: float = 120) -> MatchRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.finished:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run.pk} did not finish: {run.status} {run.chunks_done}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_full_run_through_the_worker_is_idempotent(settings):
    settings.TASKS_IN_PROCESS = False
    matching_world()
    first = wait_for(match_run_start(scope=MatchRun.Scope.ALL))
    assert first.status == MatchRun.Status.SUCCEEDED, first.error
    pairs = sorted(Candidate.objects.values_list("issue_id", "resource_id", "rank"))
    assert pairs
    second = wait_for(match_run_start(scope=MatchRun.Scope.ALL))
    assert second.status == MatchRun.Status.SUCCEEDED, second.error
    assert sorted(Candidate.objects.values_list("issue_id", "resource_id", "rank")) == pairs
    assert Candidate.objects.filter(run=second).count() == len(pairs)
