"""A large measurements upload is imported by an import job (#15 kind 6), as the issue and
resource imports check theirs: the request answers at once with the progress page, the job
imports all or nothing as its starter, shows its counts or its row errors, nobody else sees it,
and a job a worker lost is sent again."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Measurement
from evaluation.tasks import measurements_import_job
from portal.imports.models import ImportJob
from portal.imports.services import import_jobs_resume
from tests.portal.factories import UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Small files for a quick test: anything over 100 bytes goes to a job.
    settings.IMPORT_PREVIEW_INLINE_BYTES = 100


def _upload(client, planted, capture=None, *, days=range(1, 21), bad="", execute=True):
    """Upload `days` measurements of the first planted project (and a `bad` line), running the
    tasks queued on commit when `execute` (else leaving them, as a lost broker message)."""
    project, indicator = planted["projects"][0], planted["indicators"][0]
    rows = [f"{indicator.name},2025-11-{day:02d},{day}" for day in days]
    upload = io.BytesIO(("指標,測定日,値\n" + "\n".join(rows) + "\n" + bad).encode("utf-8"))
    upload.name = "m.csv"
    url = reverse("evaluation:measurement_upload", args=[project.pk])
    if capture is None:
        return client.post(url, {"file": upload})
    with capture(execute=execute):
        return client.post(url, {"file": upload})


def test_a_large_file_is_imported_by_a_job_with_a_progress_page(
    client, planted, evaluator, django_capture_on_commit_callbacks
):
    project = planted["projects"][0]
    before = Measurement.objects.count()
    client.force_login(evaluator)
    response = _upload(client, planted, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.url == reverse("portal:import_job", args=[job.pk])
    assert (job.kind, job.mode, job.subject, job.started_by) == (
        "measurements",
        "import",
        project.pk,
        evaluator,
    )
    page = client.get(response.url).content.decode()
    assert "測定値を取り込みました: 新規 20件、登録済みのため取り込まなかった行 0件。" in page
    assert reverse("evaluation:project_detail", args=[project.pk]) + "#measurements" in page
    assert Measurement.objects.count() == before + 20

    # The same file again: nothing added, the rows counted as already there.
    again = _upload(client, planted, django_capture_on_commit_callbacks)
    assert (
        "新規 0件、登録済みのため取り込まなかった行 20件" in client.get(again.url).content.decode()
    )


def test_a_large_file_with_a_bad_row_fails_naming_it_and_writes_nothing(
    client, planted, evaluator, django_capture_on_commit_callbacks
):
    before = Measurement.objects.count()
    client.force_login(evaluator)
    response = _upload(
        client, planted, django_capture_on_commit_callbacks, bad="存在しない指標,2025-11-30,1\n"
    )
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 1
    page = client.get(response.url).content.decode()
    assert "22行目「指標」: 指標「存在しない指標」はこの事業にありません。" in page
    assert Measurement.objects.count() == before


def test_a_small_file_is_still_imported_in_the_request(client, planted, evaluator, settings):
    settings.IMPORT_PREVIEW_INLINE_BYTES = 256 * 1024
    client.force_login(evaluator)
    response = _upload(client, planted, days=range(1, 3))
    assert response.url.endswith("#measurements") and not ImportJob.objects.exists()


def test_only_its_starter_and_admins_see_the_job(
    client, planted, evaluator, coordinator, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(evaluator)
    url = _upload(client, planted, django_capture_on_commit_callbacks).url
    other_evaluator = UserFactory(username="evaluator2", role="evaluator")
    for person, status in ((other_evaluator, 404), (coordinator, 404), (admin_user, 200)):
        client.force_login(person)
        assert client.get(url).status_code == status


def test_a_job_no_worker_took_is_sent_again_and_imports(
    client, planted, evaluator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_RESUME_AFTER_SECONDS = 300
    client.force_login(evaluator)
    _upload(client, planted, django_capture_on_commit_callbacks, execute=False)
    job = ImportJob.objects.get()
    assert job.status == "queued"
    later = timezone.now() + datetime.timedelta(seconds=301)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_resume(now=later)["resent"] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.created, job.attempts) == ("succeeded", 20, 2)


def test_an_evaluator_who_lost_the_role_while_it_waited_imports_nothing(
    client, planted, evaluator, django_capture_on_commit_callbacks
):
    before = Measurement.objects.count()
    client.force_login(evaluator)
    _upload(client, planted, django_capture_on_commit_callbacks, execute=False)
    evaluator.role = "coordinator"
    evaluator.save()
    job = ImportJob.objects.get()
    measurements_import_job.apply(kwargs={"job_id": job.pk})
    job.refresh_from_db()
    assert job.status == "failed" and Measurement.objects.count() == before
