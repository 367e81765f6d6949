"""Celery tasks of the issue database: thin wrappers that take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from issues import services
from issues.fields import REQUIRED_COLUMNS
from issues.resources import HEADER_ALIASES
from portal.imports.services import import_job_progress, import_job_run, import_preview_run
from portal.tabular import Sheet, tabular_read


def issues_sheet(data: bytes) -> Sheet:
    """An uploaded issues file read with the import's columns (the screen and the jobs alike)."""
    return tabular_read(data=data, aliases=HEADER_ALIASES, required=REQUIRED_COLUMNS)


@shared_task(acks_late=True, ignore_result=True)
def issues_import_job(*, job_id: int) -> bool:
    """Import a confirmed issues file (portal.imports.ImportJob); a redelivery does nothing."""
    return import_job_run(
        job_id=job_id,
        read=issues_sheet,
        write=lambda dataset, job: services.issues_import(
            dataset=dataset,
            imported_by=job.started_by,
            dry_run=False,
            progress=import_job_progress(job.pk),
        ),
    )


@shared_task(acks_late=True, ignore_result=True)
def issues_preview_job(*, job_id: int) -> bool:
    """Check a large issues file as its starter (their ward), writing nothing; a redelivery
    does nothing."""
    return import_preview_run(
        job_id=job_id,
        read=issues_sheet,
        check=lambda dataset, user: services.issues_import(
            dataset=dataset, imported_by=user, dry_run=True
        ),
        row=dict,
    )
