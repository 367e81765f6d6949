"""A job a worker lost is sent again, then fails with a message; a broker that is down leaves
the job queued with a warning; finished jobs are listed and swept after 90 days."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue
from issues.tasks import issues_import_job
from portal.imports.models import ImportJob
from portal.imports.services import import_jobs_resume, import_jobs_sweep
from portal.services import task_send_or_report
from portal.uploads import _job_dir
from tests.issues.test_import_export import HEADER_JA, ROWS_JA

pytestmark = pytest.mark.django_db

FILE = "b" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_JOB_RESUME_AFTER_SECONDS = 300
    settings.IMPORT_JOB_MAX_ATTEMPTS = 3
    settings.CELERY_TASK_TIME_LIMIT = 1800


def _job(user, **fields) -> ImportJob:
    (_job_dir() / FILE).write_bytes((HEADER_JA + ROWS_JA).encode("utf-8"))
    return ImportJob.objects.create(
        kind="issues", started_by=user, file_name=FILE, task_name=issues_import_job.name, **fields
    )


def _ago(seconds: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def test_job_left_reading_by_a_dead_worker_starts_over_and_imports(
    admin_user, django_capture_on_commit_callbacks
):
    job = _job(admin_user)
    # A worker claimed it 31 minutes ago and died: past the hard time limit no run is alive.
    ImportJob.objects.filter(pk=job.pk).update(status="reading", started_at=_ago(1861))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_jobs_resume()
    job.refresh_from_db()
    assert outcome == {"resent": [job.pk], "failed": []}
    assert (job.status, job.attempts, job.created) == ("succeeded", 2, 3)
    assert Issue.objects.count() == 3


def test_job_still_within_the_time_limit_is_left_alone(admin_user):
    job = _job(admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="writing", started_at=_ago(1700))
    assert import_jobs_resume() == {"resent": [], "failed": []}
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("writing", 1)


def test_queued_job_no_worker_took_is_sent_again_once_per_interval(admin_user, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "portal.imports.services.task_send_or_report",
        lambda task, kwargs, unreachable=None: sent.append(kwargs["job_id"]),
    )
    job = _job(admin_user)
    ImportJob.objects.filter(pk=job.pk).update(created_at=_ago(301))
    assert import_jobs_resume()["resent"] == [job.pk]
    # Sent again just now: the next sweep (5 minutes later at the earliest) waits its turn.
    assert import_jobs_resume()["resent"] == []
    assert sent == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 2)


def test_job_lost_too_often_fails_with_a_message_and_its_file_goes(admin_user):
    job = _job(admin_user, attempts=3)
    ImportJob.objects.filter(pk=job.pk).update(status="writing", started_at=_ago(1900))
    assert import_jobs_resume() == {"resent": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert job.status == "failed" and "何も取り込んでいません" in job.errors[0]
    assert not (_job_dir() / FILE).exists()
    assert Issue.objects.count() == 0


def test_unreachable_broker_leaves_the_job_queued_and_the_page_says_so(
    client, settings, coordinator, django_capture_on_commit_callbacks
):
    settings.TASKS_IN_PROCESS = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    job = _job(coordinator)
    called = []
    with django_capture_on_commit_callbacks(execute=True):
        task_send_or_report(
            issues_import_job, kwargs={"job_id": job.pk}, unreachable=lambda: called.append(1)
        )
    assert called == [1]
    job.refresh_from_db()
    assert job.status == "queued"

    ImportJob.objects.filter(pk=job.pk).update(created_at=_ago(400))
    client.force_login(coordinator)
    page = client.get(reverse("portal:import_job", args=[job.pk])).content.decode()
    assert "処理の開始を待っています（送信 1 回目）" in page


def test_list_shows_own_jobs_only_and_sweep_removes_old_finished_ones(
    client, coordinator, coordinator_other_ward
):
    mine, other = coordinator, coordinator_other_ward
    own = ImportJob.objects.create(kind="issues", started_by=mine, status="succeeded", created=7)
    theirs = ImportJob.objects.create(kind="resources", started_by=other, status="queued")
    client.force_login(mine)
    page = client.get(reverse("portal:import_jobs")).content.decode()
    assert reverse("portal:import_job", args=[own.pk]) in page and "新規 7件" in page
    assert reverse("portal:import_job", args=[theirs.pk]) not in page

    ImportJob.objects.filter(pk=own.pk).update(finished_at=_ago(91 * 86400))
    ImportJob.objects.create(
        kind="issues", started_by=mine, status="failed", finished_at=_ago(89 * 86400)
    )
    assert import_jobs_sweep() == 1
    assert not ImportJob.objects.filter(pk=own.pk).exists()
    assert ImportJob.objects.count() == 2
