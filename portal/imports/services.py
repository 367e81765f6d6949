"""Starting and running import jobs, each a task: the preview of a large upload (every row
checked as the screen checks it, nothing written; the outcome kept for the screen) and the
import of a confirmed preview's file. Both run as the person who started them (their ward, their
role asked again) and speak the language of the screen they started from.

Progress is reported in phases (queued → reading → checking (a preview) or writing (an import)
→ succeeded/failed), each written to the job row in autocommit *outside* the import's own
transaction. Within writing, a kind that reports its rows (import_job_progress) publishes how
many are done in the cache, not the row: a count written from inside the import would sit in
its uncommitted transaction, invisible to the page polling it (and a second database connection
is not available on SQLite when the task runs in-process). The cache is Redis when a broker
runs (worker and web share it) and this process's memory otherwise, where the job runs on a
thread of the same process as the page; the page falls back to the phase when it finds nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.imports.models import ImportJob
from portal.mail import language_or_default
from portal.models import Role, User
from portal.services import task_send_or_report, tasks_deferred
from portal.tabular import ImportOutcome, Sheet, TabularError
from portal.uploads import (
    import_job_file_delete,
    import_job_file_read,
    import_job_file_store,
    import_pending_claim,
    import_pending_delete,
    import_pending_read,
)

logger = logging.getLogger(__name__)

Reader = Callable[[bytes], Sheet]
# A preview's check: the rows as `User` would import them, nothing written.
Writer = Callable[[Sheet, User], ImportOutcome]
# An import: the rows written for the job (its starter, and its subject for a kind that has one).
JobWriter = Callable[[Sheet, ImportJob], ImportOutcome]
# One previewed row as the screen's table shows it (a kind says which of its values).
RowShown = Callable[[Any], dict[str, Any]]

# How many rows a preview lists (the screen shows the counts of all of them).
PREVIEW_ROWS_SHOWN = 100


@dataclass(frozen=True)
class Preview:
    """What an import screen shows of a checked file, whether checked in the request or by a
    preview job (then stored in ImportJob.preview, so both show the same).

    `errors_shown` are the first ERRORS_SHOWN messages and the count of the rest
    (portal.tabular.errors_for_display); `rows` the first PREVIEW_ROWS_SHOWN rows as the kind's
    `RowShown` gives them; `checked` how many data rows were checked in all.
    """

    errors_shown: list[str] = field(default_factory=list)
    error_count: int = 0
    checked: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    organizations_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.error_count

    @classmethod
    def of(cls, report: ImportOutcome, *, row: RowShown) -> Preview:
        rows: Iterable[Any] = getattr(report, "rows", [])
        listed = list(rows)
        return cls(
            errors_shown=[str(message) for message in report.errors_shown],
            error_count=len(report.errors),
            checked=len(listed),
            rows=[_stored(row(item)) for item in listed[:PREVIEW_ROWS_SHOWN]],
            ignored_columns=[str(header) for header in report.ignored_columns],
            **{name: getattr(report, name, 0) for name in _COUNTS},
        )

    @classmethod
    def of_job(cls, job: ImportJob) -> Preview:
        """A finished preview job's outcome (its refusal, if the file could not be read)."""
        stored = {key: value for key, value in job.preview.items() if key in _FIELDS}
        if job.status == ImportJob.Status.FAILED:
            stored.update(errors_shown=list(job.errors), error_count=max(job.error_count, 1))
        return cls(**stored)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    # Kept as JSON: a cell read from a workbook may be a date or a number shown as text.
    return {
        key: value if isinstance(value, int | str) else ("" if value is None else str(value))
        for key, value in row.items()
    }


_COUNTS = ("created", "updated", "skipped", "organizations_created")
_FIELDS = set(Preview.__dataclass_fields__)


def _job_queue(*, user: User, kind: str, name: str, task: Task, **fields: Any) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            started_by=user,
            file_name=name,
            task_name=task.name,
            language=translation.get_language() or "",
            **fields,
        )
        _send(job)
    return job


def import_preview_start(*, user: User, kind: str, name: str, task: Task) -> ImportJob:
    """Queue the check of this session's waiting file `name` (portal.uploads.import_pending_store).

    The coordinator is sent to the job's progress page at once; the job checks every row as the
    screen would, as `user` (their ward), and writes nothing.
    """
    return _job_queue(user=user, kind=kind, name=name, task=task, mode=ImportJob.Mode.PREVIEW)


def import_job_start(
    *, request: HttpRequest, user: User, kind: str, token: str, task: Task
) -> ImportJob | None:
    """Queue the import of this session's previewed file; None if the preview expired."""
    name = import_pending_claim(request=request, kind=kind, token=token)
    if name is None:
        return None
    return _job_queue(user=user, kind=kind, name=name, task=task)


def import_upload_start(
    *, user: User, kind: str, data: bytes, task: Task, subject: int | None = None
) -> ImportJob:
    """Queue the import of an upload whose kind has no preview step (measurements) into
    `subject` (the record its rows are added to, e.g. a project's id)."""
    name = import_job_file_store(data)
    return _job_queue(user=user, kind=kind, name=name, task=task, subject=subject)


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
    message never reached a worker (the broker was down when it was sent, or lost it).
    Reading, checking or writing for longer than CELERY_TASK_TIME_LIMIT + 60 s: no worker can
    still hold it (the hard time limit ends every task), so the worker died; its import ran in
    one transaction (a preview writes nothing at all), so it wrote nothing, and the job can
    start over. After IMPORT_JOB_MAX_ATTEMPTS sends it
    fails with a message saying nothing was imported. Returns the ids {"resent": [...],
    "failed": [...]}. Runs every 5 minutes from beat.
    """
    now = now or timezone.now()
    waited = now - datetime.timedelta(seconds=settings.IMPORT_JOB_RESUME_AFTER_SECONDS)
    dead = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    in_progress = [ImportJob.Status.READING, ImportJob.Status.CHECKING, ImportJob.Status.WRITING]
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
                _file_delete(job)
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
    cache.delete(ImportJob(pk=job_id).progress_cache_key)


def import_job_progress(job_id: int) -> Callable[[int], None]:
    """What a kind's import calls with the rows it has done so far, while it writes in its
    transaction; the progress page reads it (portal.imports.selectors.import_job_progress_read).
    Kept for as long as a task may run."""
    key = ImportJob(pk=job_id).progress_cache_key

    def report(rows_done: int) -> None:
        cache.set(key, rows_done, timeout=settings.CELERY_TASK_TIME_LIMIT + 60)

    return report


def _fail(job_id: int, errors: list[str], count: int | None = None) -> None:
    _finish(
        job_id,
        status=ImportJob.Status.FAILED,
        errors=[str(message) for message in errors],
        error_count=len(errors) if count is None else count,
    )


def _file_delete(job: ImportJob) -> None:
    if job.mode == ImportJob.Mode.PREVIEW:
        import_pending_delete(job.file_name)
    else:
        import_job_file_delete(job.file_name)


NOT_ALLOWED_MESSAGE = gettext_lazy(
    "取り込みを始めた人に、取り込みの権限がなくなりました。何も取り込んでいません。"
)


def _claim(job_id: int) -> ImportJob | None:
    """The queued job, now taken by this worker; None if it was already taken.

    The claim is one conditional UPDATE, so a task delivered twice (acks_late after a worker
    restart, or a retry) finds the job no longer queued and leaves it alone.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.READING, started_at=timezone.now()
    )
    if not claimed:
        logger.info("import job %s already taken; redelivery ignored", job_id)
        return None
    return ImportJob.objects.select_related("started_by").get(pk=job_id)


# Who may import each kind: its screen's rule (portal.access.coordinator_required for issues and
# resources, evaluator_required for measurements).
IMPORT_ROLES = {
    ImportJob.Kind.ISSUES: {Role.COORDINATOR, Role.ADMIN},
    ImportJob.Kind.RESOURCES: {Role.COORDINATOR, Role.ADMIN},
    ImportJob.Kind.MEASUREMENTS: {Role.EVALUATOR, Role.ADMIN},
}


def _may_import(job: ImportJob) -> bool:
    # The screen's rule asked again when the job runs: a person whose role or account changed
    # while the job waited no longer imports anything.
    user = job.started_by
    return user.is_active and user.role in IMPORT_ROLES[ImportJob.Kind(job.kind)]


def _run(job: ImportJob, body: Callable[[bytes | None], bool]) -> bool:
    """Run `body` on the job's file in the starter's language; True when it succeeded.

    A refusal of the starter, an unexpected error (logged in full for us; the person sees a
    plain message, and the import's transaction rolled back with it) ends the job failed.
    """
    succeeded = False
    with translation.override(language_or_default(job.language)):
        try:
            if not _may_import(job):
                _fail(job.pk, [str(NOT_ALLOWED_MESSAGE)])
            else:
                if job.mode == ImportJob.Mode.PREVIEW:
                    data = import_pending_read(job.file_name)
                else:
                    data = import_job_file_read(job.file_name)
                succeeded = body(data)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            _fail(job.pk, [_("取り込み中に予期しない問題が起きました。何も取り込んでいません。")])
    return succeeded


def _sheet(job_id: int, data: bytes | None, read: Reader) -> Sheet | None:
    """The job's file parsed, or None with the job failed saying why it could not be read."""
    if data is None:
        _fail(job_id, [_("取り込むファイルが見つかりません。もう一度選んでください。")])
        return None
    try:
        return read(data)
    except TabularError as exc:
        _fail(job_id, [str(exc)])
        return None


def import_job_run(*, job_id: int, read: Reader, write: JobWriter) -> bool:
    """Run a queued import job once; False (and nothing done) if it was already taken."""
    job = _claim(job_id)
    if job is None:
        return False

    def body(data: bytes | None) -> bool:
        dataset = _sheet(job_id, data, read)
        if dataset is None:
            return False
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.WRITING, rows_total=dataset.height
        )
        # The import is all-or-nothing in its own transaction: a failure writes nothing.
        report = write(dataset, job)
        if not report.ok:
            _fail(job_id, report.errors_shown, len(report.errors))
            return False
        _finish(
            job_id,
            status=ImportJob.Status.SUCCEEDED,
            rows_done=dataset.height,
            **{name: getattr(report, name, 0) for name in _COUNTS},
        )
        return True

    try:
        # Follow-up tasks of the import (embedding the new texts) run after the job has ended.
        with tasks_deferred():
            _run(job, body)
    finally:
        import_job_file_delete(job.file_name)
    return True


def import_preview_run(*, job_id: int, read: Reader, check: Writer, row: RowShown) -> bool:
    """Check a queued preview job's file as the screen would (`check` writes nothing) and keep
    what the screen shows of it; False if the job was already taken.

    The waiting file stays for the confirm form when every row passed, and goes otherwise.
    """
    job = _claim(job_id)
    if job is None:
        return False

    def body(data: bytes | None) -> bool:
        dataset = _sheet(job_id, data, read)
        if dataset is None:
            return False
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.CHECKING, rows_total=dataset.height
        )
        preview = Preview.of(check(dataset, job.started_by), row=row)
        status = ImportJob.Status.SUCCEEDED if preview.ok else ImportJob.Status.FAILED
        _finish(
            job_id,
            status=status,
            rows_done=preview.checked,
            preview=preview.as_json(),
            errors=preview.errors_shown,
            error_count=preview.error_count,
        )
        return preview.ok

    if not _run(job, body):
        import_pending_delete(job.file_name)
    return True
