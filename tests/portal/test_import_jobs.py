"""A confirmed import runs as a job: progress page, all-or-nothing, owner-only, idempotent."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse

from issues.models import Issue
from issues.tasks import issues_import_job
from portal.imports import services as import_services
from portal.imports.models import ImportJob
from portal.uploads import _job_dir
from tests.issues.test_import_export import HEADER_EN, HEADER_JA, ROWS_JA
from tests.portal.factories import UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _confirm(client, capture, text: str = HEADER_JA + ROWS_JA):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = "issues.csv"
    token = client.post(reverse("issues:import"), {"file": upload}).context["token"]
    with capture(execute=True):
        return client.post(reverse("issues:import"), {"token": token})


def _job_with_file(user, text: str) -> ImportJob:
    (_job_dir() / ("a" * 32)).write_bytes(text.encode("utf-8"))
    return ImportJob.objects.create(kind="issues", started_by=user, file_name="a" * 32)


def test_confirmed_import_is_a_job_that_finishes_with_counts(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    response = _confirm(client, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.url == reverse("portal:import_job", args=[job.pk])
    assert (job.status, job.started_by, job.rows_total, job.rows_done) == (
        "succeeded",
        admin_user,
        3,
        3,
    )
    assert (job.created, job.updated, job.skipped) == (3, 0, 0)
    assert Issue.objects.count() == 3
    assert not (_job_dir() / job.file_name).exists()  # the file goes when the job ends
    page = client.get(response.url).content.decode()
    assert "新規 3件" in page and 'hx-trigger="every 2s"' not in page


def test_failing_file_fails_with_row_errors_and_writes_nothing(admin_user):
    bad = HEADER_EN + "A-1,題,内容,千代田区,高齢者支援\r\nA-2,題,内容,ミナト区,高齢者支援\r\n"
    job = _job_with_file(admin_user, bad)
    issues_import_job.apply(kwargs={"job_id": job.pk})
    job.refresh_from_db()
    assert job.status == "failed" and job.error_count == 1
    assert any("3行目「ward」" in message for message in job.errors)
    assert not Issue.objects.exists()
    assert not (_job_dir() / job.file_name).exists()


def test_another_users_job_is_404_admin_sees_it(client, coordinator, admin_user):
    job = _job_with_file(coordinator, HEADER_JA + ROWS_JA)
    other = UserFactory(username="coord_other", role="coordinator")
    client.force_login(other)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 200


def test_progress_partial_renders_for_htmx_and_polls_while_running(client, coordinator):
    job = _job_with_file(coordinator, HEADER_JA + ROWS_JA)
    ImportJob.objects.filter(pk=job.pk).update(status="writing", rows_total=3)
    client.force_login(coordinator)
    url = reverse("portal:import_job", args=[job.pk])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="import-progress"')
    assert 'hx-trigger="every 2s"' in partial and "<html" not in partial
    assert f'href="{url}"' in partial  # a plain link for a browser without JavaScript


def test_redelivered_task_does_nothing(admin_user):
    job = _job_with_file(admin_user, HEADER_JA + ROWS_JA)
    assert issues_import_job.apply(kwargs={"job_id": job.pk}).get() is True
    assert Issue.objects.count() == 3
    Issue.objects.all().delete()
    assert issues_import_job.apply(kwargs={"job_id": job.pk}).get() is False
    assert not Issue.objects.exists()  # the finished job was not run again
    job.refresh_from_db()
    assert (job.status, job.created) == ("succeeded", 3)


def test_confirmed_resources_import_is_a_job_too(
    client, coordinator, django_capture_on_commit_callbacks
):
    from partners.models import Resource
    from tests.partners.test_import_export import ROW_1, ROW_2, csv_text

    client.force_login(coordinator)
    upload = io.BytesIO(csv_text(ROW_1, ROW_2).encode("utf-8"))
    upload.name = "resources.csv"
    token = client.post(reverse("partners:import"), {"file": upload}).context["token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partners:import"), {"token": token})
    job = ImportJob.objects.get(kind="resources")
    assert response.url == reverse("portal:import_job", args=[job.pk])
    assert (job.status, job.created, job.organizations_created) == ("succeeded", 2, 2)
    assert Resource.objects.count() == 2
    assert "新しい団体 2件" in client.get(response.url).content.decode()


def test_progress_moves_in_steps_while_the_rows_are_written(client, coordinator, monkeypatch):
    # What the polling page shows each time the import reports rows done, from inside its
    # still-open transaction: the bar moves on between 40 % and 100 %, not in one jump.
    monkeypatch.setattr("issues.resources.PROGRESS_ROWS", 10)
    rows = "".join(f"P-{n:03d},課題 {n},内容,千代田区,高齢者支援\r\n" for n in range(45))
    job = _job_with_file(coordinator, HEADER_EN + rows)
    client.force_login(coordinator)
    url = reverse("portal:import_job", args=[job.pk])

    def shown() -> tuple[int, str]:
        page = client.get(url, headers={"HX-Request": "true"}).content.decode()
        return int(re.search(r'<progress max="100" value="(\d+)"', page)[1]), page

    seen: list[int] = []
    publish = import_services.import_job_progress

    def watched(job_id: int):
        report = publish(job_id)

        def then_look(rows_done: int) -> None:
            report(rows_done)
            percent, page = shown()
            assert f"{rows_done} / 45 行" in page
            seen.append(percent)

        return then_look

    monkeypatch.setattr("issues.tasks.import_job_progress", watched)
    issues_import_job.apply(kwargs={"job_id": job.pk})
    assert seen == [52, 64, 76, 88]
    assert shown()[0] == 100 and Issue.objects.count() == 45
