"""The engine end to end: fit, store, rank, explain."""

from __future__ import annotations

import pytest

from matching.models import Candidate, EngineVersion, MatchRun
from matching.runs.services import match_run_start
from tests.matching.factories import matching_world

pytestmark = pytest.mark.django_db


def run_all(django_capture_on_commit_callbacks) -> MatchRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = match_run_start(scope=MatchRun.Scope.ALL)
    run.refresh_from_db()
    return run


def test_full_run_ranks_the_matching_resource_first(django_capture_on_commit_callbacks):
    issues, resources = matching_world()
    run = run_all(django_capture_on_commit_callbacks)
    assert run.status == MatchRun.Status.SUCCEEDED, run.error
    assert run.chunks_done == run.chunks_total == 1
    assert EngineVersion.objects.count() == 1
    for issue, resource in zip(issues, resources, strict=True):
        best = Candidate.objects.filter(issue=issue).order_by("rank").first()
        assert best.resource == resource
        assert best.explanation["terms"]
