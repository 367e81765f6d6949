from typing import cast

from celery import shared_task

from evaluation import measurements
from evaluation.models import ReportFile
from evaluation.services import report_build as report_build_service
from matching.models import Project
from portal.imports.services import import_job_run


@shared_task(acks_late=True)
def report_build(*, report_id: int) -> dict:
    """Builds a queued report file (idempotent: a finished report is left as it is)."""
    report = ReportFile.objects.filter(pk=report_id).first()
    if report is None:
        return {"id": report_id, "status": "missing"}
    report = report_build_service(report=report)
    return {"id": report.pk, "status": report.status}


@shared_task(acks_late=True, ignore_result=True)
def measurements_import_job(*, job_id: int) -> bool:
    """Import a large measurements file into the job's project (portal.imports.ImportJob,
    `subject` = the project's id), all or nothing; a redelivery does nothing."""
    return import_job_run(
        job_id=job_id,
        read=measurements.measurements_sheet,
        write=lambda dataset, job: measurements.measurements_import_outcome(
            measurements.measurements_import(
                project=Project.objects.get(pk=cast(int, job.subject)),  # set by the upload
                dataset=dataset,
                recorded_by=job.started_by,
            )
        ),
    )
