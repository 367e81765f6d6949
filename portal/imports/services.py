"""Starting and running an import job: the confirmed preview's file, read and written by a task.

Progress is reported in phases (queued → reading → writing → succeeded/failed), each written to
the job row in autocommit *outside* the import's own transaction. A per-row count written from
inside the import would sit in that uncommitted transaction (invisible to the page polling it),
and a second database connection to publish it is not available on SQLite when the task runs
in-process; the cache is per-process in that topology too. Phases are honest in both.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.imports.models import ImportJob
from portal.models import User
from portal.services import task_send_or_report
from portal.tabular import ImportOutcome, Sheet, TabularError
from portal.uploads import import_job_file_delete, import_job_file_read, import_pending_claim

logger = logging.getLogger(__name__)

Reader = Callable[[bytes], Sheet]
Writer = Callable[[Sheet, User], ImportOutcome]


def import_job_start(
    *, request: HttpRequest, user: User, kind: str, token: str, task: Task
) -> ImportJob | None:
    """Queue the import of this session's previewed file; None if the preview expired."""
    name = import_pending_claim(request=request, kind=kind, token=token)
    if name is None:
        return None
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind, started_by=user, file_name=name, task_name=task.name
        )
        _send(job)
    return job


def _send(job: ImportJob) -> None:
    # An unreachable broker leaves the job queued (its page says it is waiting); the resume
    # sweep sends it again once the broker answers. The file stays until the job ends.
    task_send_or_report(current_app.tasks[job.task_name], kwargs={"job_id": job.pk})


STALLED_MESSAGE = gettext_lazy(
    "取り込みが途中で止まりました（処理していたワーカーが停止しました）。"
    "何も取り込んでいません。もう一度ファイルを選んで取り込んでください。"
)


def import_job_waiting_too_long(job: ImportJob, *, now: datetime.datetime | None = None) -> bool:
    """True when a queued job has waited longer than a worker normally takes to pick it up."""
    if job.status != ImportJob.Status.QUEUED:
        return False
    since = job.resumed_at or job.created_at
    waited = (now or timezone.now()) - since
    return waited.total_seconds() > settings.IMPORT_JOB_RESUME_AFTER_SECONDS


def import_jobs_resume(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """Send again the jobs a worker lost; fail those that were lost too often.

    Two ways a job is lost. Queued for longer than IMPORT_JOB_RESUME_AFTER_SECONDS: the
    message never reached a worker (the broker was down when it was sent, or lost it). Reading
    or writing for longer than CELERY_TASK_TIME_LIMIT + 60 s: no worker can still hold it (the
    hard time limit ends every task), so the worker died; its import ran in one transaction,
    so it wrote nothing, and the job can start over. After IMPORT_JOB_MAX_ATTEMPTS sends it
    fails with a message saying nothing was imported. Returns the ids {"resent": [...],
    "failed": [...]}. Runs every 5 minutes from beat.
    """
    now = now or timezone.now()
    waited = now - datetime.timedelta(seconds=settings.IMPORT_JOB_RESUME_AFTER_SECONDS)
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    in_progress = [ImportJob.Status.READING, ImportJob.Status.WRITING]
    outcome: dict[str, list[int]] = {"resent": [], "failed": []}
    lost = ImportJob.objects.filter(
        Q(status=ImportJob.Status.QUEUED, created_at__lt=waited)
        & (Q(resumed_at__isnull=True) | Q(resumed_at__lt=waited))
        | Q(status__in=in_progress, started_at__lt=dead)
    )
    for job in lost:
        previous = job.status
        if job.attempts >= settings.IMPORT_JOB_MAX_ATTEMPTS:
            taken = ImportJob.objects.filter(pk=job.pk, status=previous).update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                errors=[str(STALLED_MESSAGE)],
                error_count=1,
            )
            if taken:
                import_job_file_delete(job.file_name)
                outcome["failed"].append(job.pk)
            continue
        with transaction.atomic():
            # Conditional on the state it was read in: a worker that claims it meanwhile wins.
            taken = ImportJob.objects.filter(pk=job.pk, status=previous).update(
                status=ImportJob.Status.QUEUED, attempts=F("attempts") + 1, resumed_at=now
            )
            if taken:
                _send(job)
                outcome["resent"].append(job.pk)
        if taken:
            logger.warning("import job %s (%s) sent again", job.pk, previous)
    return outcome


def import_jobs_sweep(*, older_than_days: int = 90) -> int:
    """Delete jobs that ended more than `older_than_days` ago (their files are already gone)."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _counts = ImportJob.objects.filter(finished_at__lt=cutoff).delete()
    return deleted


def _finish(job_id: int, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


def _fail(job_id: int, errors: list[str], count: int | None = None) -> None:
    _finish(
        job_id,
        status=ImportJob.Status.FAILED,
        errors=[str(message) for message in errors],
        error_count=len(errors) if count is None else count,
    )


def import_job_run(*, job_id: int, read: Reader, write: Writer) -> bool:
    """Run a queued job once; False (and nothing done) if it was already taken.

    The claim is one conditional UPDATE, so a task delivered twice (acks_late after a worker
    restart, or a retry) finds the job no longer queued and leaves it alone.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.READING, started_at=timezone.now()
    )
    if not claimed:
        logger.info("import job %s already taken; redelivery ignored", job_id)
        return False
    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    try:
        data = import_job_file_read(job.file_name)
        if data is None:
            _fail(job_id, [_("取り込むファイルが見つかりません。もう一度選んでください。")])
            return True
        try:
            dataset = read(data)
        except TabularError as exc:
            _fail(job_id, [str(exc)])
            return True
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.WRITING, rows_total=dataset.height
        )
        # The import is all-or-nothing in its own transaction: a failure writes nothing.
        report = write(dataset, job.started_by)
        if not report.ok:
            _fail(job_id, report.errors_shown, len(report.errors))
            return True
        _finish(
            job_id,
            status=ImportJob.Status.SUCCEEDED,
            rows_done=dataset.height,
            created=getattr(report, "created", 0),
            updated=getattr(report, "updated", 0),
            skipped=getattr(report, "skipped", 0),
            organizations_created=getattr(report, "organizations_created", 0),
        )
    except Exception:
        # Logged in full for us; the person sees a plain message (nothing was written: the
        # import's transaction rolled back with the exception).
        logger.exception("import job %s failed", job_id)
        _fail(job_id, [_("取り込み中に予期しない問題が起きました。何も取り込んでいません。")])
    finally:
        import_job_file_delete(job.file_name)
    return True
