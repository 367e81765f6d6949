"""How long personal data is kept, and its erasure — what the privacy notice (個人情報の取扱い,
section 5) promises, run daily by Celery beat.

Periods are days in ``settings.PERSONAL_DATA_RETENTION_DAYS``, by kind:

- ``event_signups``: a resident's sign-up for a public event (name, e-mail, phone, needs),
  counted from the end of the event (matching.events.retention);
- ``consultations``: a consultation request (name, organisation, contact, message) and the
  staff's notes on it, counted from its completion;
- ``unanswered_questions``: a question the FAQ assistant could not answer, from the last time
  it was asked;
- ``mail_log``: the record of a sent mail (address and subject), from when it was queued.

Erasure blanks the fields on the row and on each of its history rows (django-simple-history
keeps a copy per change), and stamps ``erased_at``, so the row still counts where KPIs count it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.models import (
    ConsultationNote,
    ConsultationRequest,
    ConsultationStatus,
    MailLog,
    UnansweredQuestion,
)

# Shown where an erased person's name was.
ERASED = gettext_lazy("（個人情報は消去済み）")


def retention_cutoff(kind: str) -> datetime.datetime:
    """The instant before which records of ``kind`` are past their retention period.

    Raises KeyError for a kind the setting does not name (a typo must not keep data forever).
    """
    return timezone.now() - datetime.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS[kind])


def details_erase(rows: QuerySet, blank: dict[str, Any]) -> int:
    """Set ``blank`` (field → empty value) and ``erased_at`` on the not yet erased rows of
    ``rows`` and on all their history rows; returns how many rows were erased."""
    now = timezone.now()
    model = rows.model
    with transaction.atomic():
        ids = list(rows.filter(erased_at__isnull=True).values_list("pk", flat=True))
        model.objects.filter(pk__in=ids).update(**blank, erased_at=now)
        model.history.model.objects.filter(id__in=ids).update(**blank, erased_at=now)
    return len(ids)


def consultations_erase() -> int:
    """Erase the requests completed before the consultations cutoff, and their notes."""
    due = ConsultationRequest.objects.filter(
        status=ConsultationStatus.DONE, completed_at__lt=retention_cutoff("consultations")
    )
    with transaction.atomic():
        erased = details_erase(
            due, {"name": "", "organization": "", "email": "", "phone": "", "message": ""}
        )
        ConsultationNote.objects.filter(request__erased_at__isnull=False).exclude(text="").update(
            text=""
        )
    return erased


def personal_data_erase() -> dict[str, int]:
    """The portal's kinds past their period, erased or deleted; counts by kind."""
    return {
        "consultations": consultations_erase(),
        "unanswered_questions": UnansweredQuestion.objects.filter(
            asked_at__lt=retention_cutoff("unanswered_questions")
        ).delete()[0],
        "mail_log": MailLog.objects.filter(created_at__lt=retention_cutoff("mail_log"))
        .exclude(status=MailLog.Status.QUEUED)
        .delete()[0],
    }
