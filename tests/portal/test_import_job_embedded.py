"""Embedded mode (no broker, `make run`): a confirmed import runs on a thread after the response,
so 「取り込む」 lands on the progress page at once, the page follows the job while it runs, and
shows its end state without the person doing anything but wait."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.signals import request_finished
from django.urls import reverse

from issues import services
from issues.tasks import issues_import_job
from portal.imports.models import ImportJob
from portal.services import task_send_or_report
from tests.issues.test_import_export import HEADER_JA, ROWS_JA

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _no_request_left_open():
    # An earlier test's client request that raised (the client re-raises the view's exception)
    # never sent request_finished; a server always does. End it as the server would have.
    request_finished.send(sender=None)


def _task_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("task ")]


def test_confirm_lands_on_the_progress_page_while_the_import_runs(
    client, admin_user, settings, monkeypatch
):
    settings.TASKS_IN_PROCESS_BACKGROUND = True
    writing, release = threading.Event(), threading.Event()
    real_import = services.issues_import

    def slow_import(**kwargs):
        if not kwargs["dry_run"]:
            writing.set()
            release.wait(timeout=10)  # the import is still running while the person looks
        return real_import(**kwargs)

    monkeypatch.setattr(services, "issues_import", slow_import)
    client.force_login(admin_user)
    upload = io.BytesIO((HEADER_JA + ROWS_JA).encode("utf-8"))
    upload.name = "issues.csv"
    token = client.post(reverse("issues:import"), {"file": upload}).context["token"]

    landed = client.post(reverse("issues:import"), {"token": token})
    # The tests' in-memory SQLite refuses a write that meets a read at once (no busy wait, unlike
    # the file database of `make run`): look once the job has been claimed, as a person would.
    assert writing.wait(timeout=30)
    job = ImportJob.objects.get()
    assert landed.url == reverse("portal:import_job", args=[job.pk])
    running = client.get(landed.url, headers={"HX-Request": "true"}).content.decode()
    assert job.status != "succeeded" and "取り込みました" not in running
    assert 'hx-trigger="every 2s"' in running  # the page keeps asking

    release.set()
    for thread in _task_threads():
        thread.join(timeout=30)
    done = client.get(landed.url, headers={"HX-Request": "true"}).content.decode()
    assert "取り込みました: 新規 3件" in done and 'hx-trigger="every 2s"' not in done


def test_outside_a_request_the_task_runs_at_once_in_this_thread(admin_user, settings):
    # A command (run_matching) or a shell has no response to wait for and may exit right after:
    # the task has run when the call returns, and no thread was left behind.
    settings.TASKS_IN_PROCESS_BACKGROUND = True
    job = ImportJob.objects.create(kind="issues", started_by=admin_user, file_name="b" * 32)
    task_send_or_report(issues_import_job, kwargs={"job_id": job.pk})
    job.refresh_from_db()
    assert job.status == "failed"  # its file is missing: the task ran and said why
    assert not _task_threads()
