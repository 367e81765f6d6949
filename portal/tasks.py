import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.utils import timezone

from portal.models import MailLog
from portal.services import health_check_record

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def health_probe() -> dict:
    """Periodic self-check; its rows give the availability KPI."""
    check = health_check_record()
    return {"id": check.pk, "ok": check.ok}


@shared_task(acks_late=True)
def pending_imports_sweep() -> int:
    """Hourly: previewed import files nobody confirmed or cancelled."""
    from portal.uploads import pending_imports_sweep as sweep

    return sweep()


@shared_task(acks_late=True)
def import_jobs_resume() -> dict[str, list[int]]:
    """Every 5 minutes: send again import jobs a worker lost; delete jobs ended 90+ days ago."""
    from portal.imports.services import import_jobs_resume as resume
    from portal.imports.services import import_jobs_sweep

    outcome = resume()
    import_jobs_sweep()
    return outcome


@shared_task(acks_late=True)
def submission_receipts_sweep() -> int:
    """Daily: one-time form tokens old enough that no open form can send them again."""
    from portal.once import receipts_sweep

    return receipts_sweep()


@shared_task(acks_late=True)
def personal_data_erase() -> dict[str, int]:
    """Daily: personal data past its retention period (portal.retention), erased."""
    from portal.retention import personal_data_erase as erase

    return erase()


@shared_task(acks_late=True)
def advice_reminders() -> int:
    """Each morning: mail the bookers of tomorrow's advice sessions (Tokyo dates), once each."""
    from portal.support.advice.services import advice_reminders_send

    return advice_reminders_send()


# SMTP outages are usually short: retry over about half an hour before giving up.
MAIL_RETRIES = 5


def message_send(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    attachments: list[list[str]] | None = None,
) -> None:
    """Hand one message to the mail server: text `body`, an HTML alternative when `html` is
    given, ``attachments`` as [filename, text, mimetype]."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    message.send()


@shared_task(bind=True, acks_late=True, max_retries=MAIL_RETRIES)
def mail_deliver(
    self,
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    log_id: int | None = None,
    attachments: list[list[str]] | None = None,
) -> bool:
    """Deliver one queued message (portal.mail.mail_send); True when the server took it.

    Its MailLog row (`log_id`) records every attempt and ends 送信済み or, after the last retry,
    送信失敗 with the server's error, which staff read on the mail log screen.
    """
    log = MailLog.objects.filter(pk=log_id) if log_id else MailLog.objects.none()
    log.update(attempts=F("attempts") + 1)
    try:
        message_send(to=to, subject=subject, body=body, html=html, attachments=attachments)
    except (OSError, smtplib.SMTPException) as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            # In-process (no broker) there is no queue to retry from; the action stands.
            logger.error(
                "mail not delivered to %d recipient(s): %s", len(to), subject, exc_info=True
            )
            log.update(status=MailLog.Status.FAILED, error=str(exc)[:300])
            return False
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc
    log.update(status=MailLog.Status.SENT, sent_at=timezone.now(), error="")
    return True
