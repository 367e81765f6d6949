"""Starting and running an import job: the confirmed preview's file, read and written by a task.

Progress is reported in phases (queued → reading → writing → succeeded/failed), each written to
the job row in autocommit *outside* the import's own transaction. A per-row count written from
inside the import would sit in that uncommitted transaction (invisible to the page polling it),
and a second database connection to publish it is not available on SQLite when the task runs
in-process; the cache is per-process in that topology too. Phases are honest in both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.imports.models import ImportJob
from portal.models import User
from portal.services import task_enqueue
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
        job = ImportJob.objects.create(kind=kind, started_by=user, file_name=name)
        task_enqueue(task, job_id=job.pk)
    return job


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
