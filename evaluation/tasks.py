from celery import shared_task

from evaluation.models import ReportFile
from evaluation.services import report_build as report_build_service


@shared_task(acks_late=True)
def report_build(*, report_id: int) -> dict:
    """Builds a queued report file (idempotent: a finished report is left as it is)."""
    report = ReportFile.objects.filter(pk=report_id).first()
    if report is None:
        return {"id": report_id, "status": "missing"}
    report = report_build_service(report=report)
    return {"id": report.pk, "status": report.status}
