from celery import shared_task

from portal.services import health_check_record


@shared_task(acks_late=True)
def health_probe() -> dict:
    """Periodic self-check; its rows give the availability KPI."""
    check = health_check_record()
    return {"id": check.pk, "ok": check.ok}
