"""Runs: chunks, idempotency, atomic replacement, failures, broker outage, retry, versions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from matching import scoring
from matching.models import Candidate, EngineVersion, ExposureLog, MatchChunk, MatchRun
from matching.runs import services as run_services
from tests.matching.factories import matching_world

pytestmark = pytest.mark.django_db


def run_all(capture, **kwargs) -> MatchRun:
    with capture(execute=True):
        run = run_services.match_run_start(scope=MatchRun.Scope.ALL, **kwargs)
    run.refresh_from_db()
    return run


def snapshot() -> list[tuple]:
    return list(
        Candidate.objects.order_by("issue_id", "rank").values_list(
            "issue_id", "resource_id", "rank", "score"
        )
    )


def test_run_in_chunks_is_idempotent(django_capture_on_commit_callbacks, settings):
    settings.MATCHING_CHUNK_SIZE = 2
    matching_world()
    first = run_all(django_capture_on_commit_callbacks)
    assert first.status == MatchRun.Status.SUCCEEDED, first.error
    assert (first.chunks_done, first.chunks_total) == (3, 3)
    before = snapshot()
    assert len(before) == Candidate.objects.count() > 0
    second = run_all(django_capture_on_commit_callbacks)
    assert second.status == MatchRun.Status.SUCCEEDED
    assert snapshot() == before  # same candidates, no duplicates
    assert ExposureLog.objects.filter(run=second, kind="shown").exists()


def test_same_idempotency_key_starts_one_run(django_capture_on_commit_callbacks):
    matching_world(2)
    a = run_all(django_capture_on_commit_callbacks, key="nightly-2026-11-29")
    b = run_all(django_capture_on_commit_callbacks, key="nightly-2026-11-29")
    assert a.pk == b.pk
    assert MatchRun.objects.count() == 1


def test_redelivered_chunk_is_counted_once(django_capture_on_commit_callbacks):
    matching_world(2)
    run = run_all(django_capture_on_commit_callbacks)
    chunk = MatchChunk.objects.get(run=run)
    MatchRun.objects.filter(pk=run.pk).update(status=MatchRun.Status.RUNNING)
    before = snapshot()
    run_services.match_chunk_execute(chunk_id=chunk.pk)
    run.refresh_from_db()
    assert run.chunks_done == 1
    assert snapshot() == before


def test_failed_chunk_marks_the_run_failed_and_keeps_old_candidates(
    django_capture_on_commit_callbacks, monkeypatch
):
    matching_world()
    run_all(django_capture_on_commit_callbacks)
    before = snapshot()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # break the write half-way: the old rows are already deleted when the insert fails
    monkeypatch.setattr(run_services, "_insert_candidates", explode)
    monkeypatch.setattr(
        run_services,
        "compute_matches",
        lambda ids, ctx: {
            pk: [
                scoring.PairResult(
                    resource_id=r,
                    organization_id=0,
                    rank=1,
                    score=9.0,
                    components={},
                    explanation={},
                )
            ]
            for pk in ids
            for r in [Candidate.objects.exclude(issue_id=pk).first().resource_id]
        },
    )
    failed = run_all(django_capture_on_commit_callbacks)
    assert failed.status == MatchRun.Status.FAILED
    assert "disk full" in failed.error
    assert snapshot() == before  # never half-written


def test_retry_of_a_failed_run(client, coordinator, django_capture_on_commit_callbacks):
    matching_world(2)
    run = MatchRun.objects.create(key="x", scope="all", status="failed", error="boom")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:run_retry", args=[run.pk]))
    new = MatchRun.objects.exclude(pk=run.pk).get()
    assert response.url == reverse("matching:run_detail", args=[new.pk])
    assert new.status == MatchRun.Status.SUCCEEDED


def test_broker_lost_after_the_check_marks_the_run_failed_with_plain_message(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    matching_world(1)
    settings.TASKS_IN_PROCESS = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.match_run_start(scope=MatchRun.Scope.ALL, started_by=coordinator)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED
    message = "マッチング処理（ワーカー）に接続できません。しばらくしてから再実行してください。"
    assert run.error == message
    client.force_login(coordinator)
    page = client.get(reverse("matching:run_detail", args=[run.pk])).content.decode()
    assert message in page
    assert "再実行する" in page


def test_progress_partial_polls_until_finished(client, coordinator):
    run = MatchRun.objects.create(
        key="p", scope="all", status="running", chunks_total=4, chunks_done=1
    )
    client.force_login(coordinator)
    url = reverse("matching:run_detail", args=[run.pk])
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert 'value="25"' in partial
    assert "<html" not in partial
    MatchRun.objects.filter(pk=run.pk).update(status="succeeded", chunks_done=4)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in done
    assert "候補を更新しました" in done


def test_worker_notices_a_newer_engine_version(django_capture_on_commit_callbacks):
    matching_world(2)
    run_all(django_capture_on_commit_callbacks)
    first = scoring.engine_load()
    assert scoring.engine_load() is first  # cached per process
    run_all(django_capture_on_commit_callbacks)
    newer = scoring.engine_load()
    assert newer.version_id != first.version_id
    assert newer.version_id == EngineVersion.objects.latest().pk


def test_single_issue_refresh_touches_only_that_issue(django_capture_on_commit_callbacks):
    # Its speed is a figure (benchmarks/bench_matching.py: median 180 ms at 10k × 10k), not a
    # timed test; here: it succeeds and rewrites one issue's candidates, no one else's.
    issues, _ = matching_world()
    run_all(django_capture_on_commit_callbacks)
    others = set(Candidate.objects.exclude(issue=issues[0]).values_list("pk", "score"))
    run = run_services.matching_refresh_issue(issue_id=issues[0].pk)
    assert run.status == MatchRun.Status.SUCCEEDED
    assert Candidate.objects.filter(issue=issues[0]).exists()
    assert set(Candidate.objects.exclude(issue=issues[0]).values_list("pk", "score")) == others


def test_issue_edited_after_the_fit_is_matched_on_its_new_text(django_capture_on_commit_callbacks):
    issues, resources = matching_world()
    run_all(django_capture_on_commit_callbacks)
    issue = issues[0]
    issue.title = "謎解き型の防災訓練で若い世代の参加を増やしたい"
    issue.description = "防災訓練の参加者が減っている。若い世代に謎解きで参加してほしい。"
    issue.save()
    run_services.matching_refresh_issue(issue_id=issue.pk)
    best = Candidate.objects.filter(issue=issue, current=True).order_by("rank").first()
    assert best.resource == resources[2]


def test_run_start_requires_coordinator(client, evaluator, approver):
    for user in (evaluator, approver):
        client.force_login(user)
        assert client.post(reverse("matching:run_start")).status_code == 403
    assert not MatchRun.objects.exists()


def test_idle_runs_get_their_unfinished_work_sent_again(
    django_capture_on_commit_callbacks, settings
):
    settings.MATCHING_CHUNK_SIZE = 1
    matching_world(3)
    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    # A run whose prepare task the broker lost: still queued twenty minutes later.
    with django_capture_on_commit_callbacks(execute=False):
        lost = run_services.match_run_start(scope=MatchRun.Scope.ALL)
    MatchRun.objects.filter(pk=lost.pk).update(created_at=long_ago)
    # A run split into chunks, one done, the other chunk tasks lost.
    with django_capture_on_commit_callbacks(execute=False):
        stuck = run_services.match_run_start(scope=MatchRun.Scope.ALL)
    chunk_ids = run_services.match_run_prepare(run_id=stuck.pk)
    run_services.match_chunk_execute(chunk_id=chunk_ids[0])
    MatchRun.objects.filter(pk=stuck.pk).update(created_at=long_ago, started_at=long_ago)
    MatchChunk.objects.filter(pk=chunk_ids[0]).update(done_at=long_ago)
    # A run that is just slow: started a minute ago.
    with django_capture_on_commit_callbacks(execute=False):
        recent = run_services.match_run_start(scope=MatchRun.Scope.ALL)

    with django_capture_on_commit_callbacks(execute=True):
        resumed = run_services.match_runs_resume()

    assert sorted(resumed) == sorted([lost.pk, stuck.pk])
    for run in (lost, stuck):
        run.refresh_from_db()
        assert run.status == MatchRun.Status.SUCCEEDED, run.error
        assert run.chunks_done == run.chunks_total == 3
    assert MatchChunk.objects.get(pk=chunk_ids[0]).attempts == 1  # the done chunk is not redone
    recent.refresh_from_db()
    assert recent.status == MatchRun.Status.QUEUED and recent.resumed_at is None
    assert run_services.match_runs_resume() == []  # the recent run is not idle yet
