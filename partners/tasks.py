"""Celery tasks of the partner registry: thin wrappers that take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from partners import services
from partners.resources import HEADER_ALIASES, REQUIRED
from portal.imports.services import import_job_run, import_preview_run
from portal.tabular import Sheet, tabular_read


def resources_sheet(data: bytes) -> Sheet:
    """An uploaded resources file read with the import's columns (the screen and the jobs)."""
    return tabular_read(data=data, aliases=HEADER_ALIASES, required=REQUIRED)


@shared_task(acks_late=True, ignore_result=True)
def resources_import_job(*, job_id: int) -> bool:
    """Import a confirmed resources file (portal.imports.ImportJob); a redelivery does nothing."""
    return import_job_run(
        job_id=job_id,
        read=resources_sheet,
        write=lambda dataset, job: services.resources_import(
            dataset=dataset, imported_by=job.started_by
        ),
    )


@shared_task(acks_late=True, ignore_result=True)
def resources_preview_job(*, job_id: int) -> bool:
    """Check a large resources file, writing nothing; a redelivery does nothing."""
    return import_preview_run(
        job_id=job_id,
        read=resources_sheet,
        check=lambda dataset, user: services.resources_check(dataset=dataset),
        row=services.resource_preview_row,
    )
