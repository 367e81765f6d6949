"""A large upload is previewed by a job (#15 kind 6): the request answers at once with a progress
page, the job checks every row as the screen does (the starter's ward, their language) and the
preview it lands on is the one a small file gets; nobody else sees the job; its file goes when
the check fails and stays for the confirm form when it passes."""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from issues.models import Issue
from portal.imports.models import ImportJob
from portal.uploads import _pending_dir
from tests.issues.test_import_export import HEADER_EN
from tests.portal.factories import UserFactory

ROWS = 2_000
# Two rows a 千代田区 coordinator may not import, far apart in a multi-thousand-row file.
BAD = {
    700: "X-0700,題,内容,新宿区,高齢者支援",
    1_900: "X-1900,題,内容,ミナト区,高齢者支援",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(rows: int = ROWS, bad: dict[int, str] | None = None) -> str:
    bad = BAD if bad is None else bad
    lines = [bad.get(n, f"X-{n:04d},題{n},内容,千代田区,高齢者支援") for n in range(1, rows + 1)]
    return HEADER_EN + "\r\n".join(lines) + "\r\n"


def _post(client, text: str, url: str = "issues:import", name: str = "issues.csv"):
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return client.post(reverse(url), {"file": upload})


def _errors(response) -> list[str]:
    return [str(message) for message in response.context["report"].errors_shown]


def _land(client, job: ImportJob):
    """Follow the job page to where a finished preview sends the person."""
    response = client.get(reverse("portal:import_job", args=[job.pk]))
    assert response.status_code == 302
    assert response.url == f"{reverse(job.screen)}?preview={job.pk}"
    return client.get(response.url)


def test_a_large_preview_answers_with_a_progress_page_and_shows_the_same_errors(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    text = _csv()
    inline = _post(client, text)  # under the threshold: checked in the request, as before
    assert inline.status_code == 400 and not ImportJob.objects.exists()
    expected = _errors(inline)
    assert any(message.startswith("701行目「ward」") for message in expected)
    assert any(message.startswith("1901行目「ward」") for message in expected)

    settings.IMPORT_PREVIEW_INLINE_BYTES = 1024
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _post(client, text)
    job = ImportJob.objects.get()
    # Nothing was read in the request: the job waits, the person is on its progress page.
    assert response.status_code == 302
    assert response.url == reverse("portal:import_job", args=[job.pk])
    assert (job.mode, job.status, job.started_by) == ("preview", "queued", coordinator)
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "待機中" in page

    for callback in queued:  # the broker hands the job to a worker
        callback()
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.error_count) == ("failed", ROWS, 2)
    shown = _land(client, job)
    assert shown.status_code == 200
    assert _errors(shown) == expected
    assert "誤りがあるため取り込めません（何も登録していません）" in shown.content.decode()
    assert "token" not in shown.context or not shown.context["token"]
    assert not list(_pending_dir().glob("*"))  # a refused file is not kept
    assert not Issue.objects.exists()


def test_a_passing_large_preview_lands_on_the_confirm_form_and_imports(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_PREVIEW_INLINE_BYTES = 1024
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _csv(rows=300, bad={}))
    job = ImportJob.objects.get()
    assert (job.status, job.rows_done) == ("succeeded", 300)
    # The poll of a finished preview sends the whole page on to the preview (HX-Redirect).
    poll = client.get(response.url, headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == f"{reverse('issues:import')}?preview={job.pk}"
    shown = _land(client, job)
    body = shown.content.decode()
    assert "300行を確認しました。誤りはありません。" in body and "新規 300件" in body
    assert body.count("<tr><td>") == 100  # the first 100 rows listed, as for a small file
    token = shown.context["token"]
    assert token == job.file_name and (_pending_dir() / token).exists()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("issues:import"), {"token": token})
    assert Issue.objects.count() == 300
    assert confirmed.url == reverse("portal:import_job", args=[job.pk + 1])


def test_another_coordinator_cannot_see_the_preview_job(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_PREVIEW_INLINE_BYTES = 1024
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _csv(rows=100, bad={}))
    job = ImportJob.objects.get()
    other = UserFactory(username="coord_chiyoda_2", role="coordinator", ward=coordinator.ward)
    client.force_login(other)
    assert client.get(reverse("portal:import_job", args=[job.pk])).status_code == 404
    preview = f"{reverse('issues:import')}?preview={job.pk}"
    assert client.get(preview).status_code == 404
    # Nor as another kind's preview, nor with a number that is no job.
    client.force_login(coordinator)
    assert client.get(f"{reverse('partners:import')}?preview={job.pk}").status_code == 404
    assert client.get(f"{reverse('issues:import')}?preview=x").status_code == 404


def test_the_job_checks_as_its_starter_and_speaks_their_language(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_PREVIEW_INLINE_BYTES = 10
    client.force_login(coordinator)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, HEADER_EN + ",,,,\r\n")
    job = ImportJob.objects.get()
    assert job.language == "en"
    assert job.errors == ["There are no data rows."]


def test_a_starter_who_lost_the_role_imports_nothing(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_PREVIEW_INLINE_BYTES = 1024
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        _post(client, _csv(rows=100, bad={}))
    coordinator.role = "evaluator"
    coordinator.save(update_fields=["role"])
    for callback in queued:
        callback()
    job = ImportJob.objects.get()
    assert job.status == "failed" and "取り込みの権限がなくなりました" in job.errors[0]
    assert not list(_pending_dir().glob("*"))


def test_a_large_resources_preview_is_a_job_too(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    from tests.partners.test_import_export import ROW_1, ROW_2, csv_text

    settings.IMPORT_PREVIEW_INLINE_BYTES = 10
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, csv_text(ROW_1, ROW_2), "partners:import", "resources.csv")
    job = ImportJob.objects.get(kind="resources")
    assert response.url == reverse("portal:import_job", args=[job.pk])
    shown = _land(client, job)
    body = shown.content.decode()
    assert "2行を確認しました。誤りはありません。" in body
    assert shown.context["token"] == job.file_name


def test_a_preview_a_dead_worker_left_checking_is_sent_again(coordinator):
    import datetime

    from django.utils import timezone

    from portal.imports.services import import_jobs_resume

    job = ImportJob.objects.create(
        kind="issues",
        mode="preview",
        status="checking",
        started_by=coordinator,
        file_name="b" * 32,
        task_name="issues.tasks.issues_preview_job",
        started_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert import_jobs_resume()["resent"] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 2)
