"""Celery tasks of the partner registry: thin wrappers that take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from partners import services
from partners.resources import HEADER_ALIASES, REQUIRED
from portal.imports.services import import_job_run
from portal.tabular import tabular_read


@shared_task(acks_late=True, ignore_result=True)
def resources_import_job(*, job_id: int) -> bool:
    """Import a confirmed resources file (portal.imports.ImportJob); a redelivery does nothing."""
    return import_job_run(
        job_id=job_id,
        read=lambda data: tabular_read(data=data, aliases=HEADER_ALIASES, required=REQUIRED),
        write=lambda dataset, user: services.resources_import(dataset=dataset, imported_by=user),
    )
