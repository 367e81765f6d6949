"""個別相談会 (advice sessions): publishing slots, booking one with a consultation request,
cancelling from the signed link of the mail, the reminder the day before, the day's bookings.

One booking per slot: the slot's row is locked while it is booked, and a unique constraint on
live bookings refuses the second of two simultaneous bookings where no row lock exists
(SQLite). A cancelled booking frees its slot.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal.bookings import booking_mail_send, language_of, link_read, link_token, when_text
from portal.fiscal import datetime_range
from portal.ics import Appointment, ics_text, site_uid
from portal.localtext import LocalText
from portal.mail import absolute_url
from portal.models import (
    AdviceBooking,
    AdviceFormat,
    AdviceSlot,
    ConsultationRequest,
    Role,
    User,
)
from portal.services import notification_send

BOOKING_LINK = "advice"
SLOT_FIELDS = ("ward", "starts_at", "duration_minutes", "format", "place", "meeting_url")


# --- slots ------------------------------------------------------------------------------------


def advice_slot_validate(data: dict[str, Any], *, by: User) -> None:
    """The rules the form shows too: a future start, a place or a URL, the person's own ward
    (admins publish for any ward)."""
    errors: dict[str, str] = {}
    starts = data.get("starts_at")
    if starts and starts <= timezone.now():
        errors["starts_at"] = _("開始日時は今より後にしてください。")
    if data.get("format") == AdviceFormat.ON_SITE and not (data.get("place") or "").strip():
        errors["place"] = _("会場での相談会では会場を入力してください。")
    if data.get("format") == AdviceFormat.ONLINE and not (data.get("meeting_url") or "").strip():
        errors["meeting_url"] = _("オンラインの相談会では会議のURLを入力してください。")
    ward = data.get("ward")
    if ward is not None and by.role != Role.ADMIN and ward.pk != by.ward_id:
        errors["ward"] = _("自分の区の相談会だけを登録できます。")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def advice_slot_create(*, by: User, data: dict[str, Any]) -> AdviceSlot:
    advice_slot_validate(data, by=by)
    slot = AdviceSlot(coordinator=by, **{name: data[name] for name in SLOT_FIELDS if name in data})
    slot.full_clean()
    slot.save()
    return slot


@transaction.atomic
def advice_slot_withdraw(*, slot: AdviceSlot) -> None:
    """Take back a slot nobody has booked (a booked one is cancelled by its booker or kept)."""
    slot = AdviceSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.bookings.filter(cancelled_at__isnull=True).exists():
        raise ValidationError(_("予約のある枠は取り下げられません。予約者に連絡してください。"))
    slot.bookings.all().delete()  # cancelled bookings only: their history goes with the slot
    slot.delete()


def _live_booking() -> Exists:
    return Exists(AdviceBooking.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True))


def advice_slots_open(*, ward_id: int | None = None) -> QuerySet[AdviceSlot]:
    """Slots a person can still book: in the future and without a live booking."""
    slots = (
        AdviceSlot.objects.filter(starts_at__gt=timezone.now())
        .exclude(_live_booking())
        .select_related("ward")
    )
    return slots.filter(ward_id=ward_id) if ward_id else slots


# --- booking ----------------------------------------------------------------------------------


def advice_book(*, consultation: ConsultationRequest, slot: AdviceSlot) -> AdviceBooking:
    """Book ``slot`` for ``consultation`` inside the caller's transaction (the consultation's
    submit: the request and its booking are stored together or not at all)."""
    locked = AdviceSlot.objects.select_for_update().get(pk=slot.pk)
    taken = _("この枠は直前に別の方が予約しました。別の枠を選んでください。")
    if locked.starts_at <= timezone.now():
        raise ValidationError(_("この枠は受付を終了しました。別の枠を選んでください。"))
    if locked.bookings.filter(cancelled_at__isnull=True).exists():
        raise ValidationError(taken)
    try:
        with transaction.atomic():
            return AdviceBooking.objects.create(slot=locked, consultation=consultation)
    except IntegrityError:
        raise ValidationError(taken) from None


def booking_token(booking: AdviceBooking) -> str:
    return link_token(kind=BOOKING_LINK, pk=booking.pk, number=booking.consultation.receipt_number)


def advice_booking_from_token(token: str) -> AdviceBooking:
    """The booking a signed link names. Raises ValidationError (expired, invalid)."""
    pk, number = link_read(token, kind=BOOKING_LINK)
    booking = (
        AdviceBooking.objects.select_related("slot", "slot__ward", "consultation")
        .filter(pk=pk, consultation__receipt_number=number)
        .first()
    )
    if booking is None:
        raise ValidationError(_("このリンクのご予約は見つかりません。"), code="invalid")
    return booking


@transaction.atomic
def advice_booking_cancel(*, token: str) -> AdviceBooking:
    """Cancel the booking of a signed link: the slot is free again, the coordinator is told.

    Refused, with nothing changed, when the link is expired or changed, the booking is already
    cancelled (a link used twice) or the session has begun.
    """
    found = advice_booking_from_token(token)
    AdviceSlot.objects.select_for_update().get(pk=found.slot_id)
    booking = AdviceBooking.objects.select_for_update().get(pk=found.pk)
    booking.slot, booking.consultation = found.slot, found.consultation
    if booking.cancelled_at is not None:
        raise ValidationError(
            _("このご予約（受付番号 %(code)s）は既に取り消されています。")
            % {"code": booking.consultation.receipt_number},
            code="reused",
        )
    if timezone.now() >= booking.slot.starts_at:
        raise ValidationError(_("相談会が始まったため、取り消しできません。"))
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["cancelled_at"])
    coordinator = booking.slot.coordinator
    if coordinator is not None and coordinator.is_active:
        notification_send(
            recipients=[coordinator],
            message=LocalText(
                gettext_noop("個別相談会の予約が取り消されました：%(when)s %(name)s"),
                {"when": booking.slot.starts_at, "name": booking.consultation.name},
            ),
            url=reverse("portal:advice_day") + f"?date={_day_of(booking.slot)}",
        )
    consultation_mail_send(consultation=booking.consultation, booking=booking, kind="cancelled")
    return booking


def _day_of(slot: AdviceSlot) -> str:
    return timezone.localtime(slot.starts_at).date().isoformat()


# --- mails ------------------------------------------------------------------------------------

SUBJECTS = {
    "received": gettext_lazy("ご相談を受け付けました"),
    "booked": gettext_lazy("ご相談と個別相談会のご予約を受け付けました"),
    "reminder": gettext_lazy("明日は個別相談会です"),
    "cancelled": gettext_lazy("個別相談会のご予約を取り消しました"),
}


def booking_ics(booking: AdviceBooking) -> str:
    """The booking's calendar file: with the meeting URL (it goes only to the booker)."""
    slot = booking.slot
    location = slot.meeting_url if slot.format == AdviceFormat.ONLINE else slot.place
    return ics_text(
        Appointment(
            uid=site_uid(f"advice-{booking.pk}"),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            summary=_("個別相談会（%(ward)s）") % {"ward": slot.ward.local_name},
            description=_("受付番号: %(code)s") % {"code": booking.consultation.receipt_number},
            location=location,
            url=absolute_url(reverse("portal:advice_booking", args=[booking_token(booking)])),
            cancelled=booking.cancelled_at is not None,
        )
    )


def consultation_mail_send(
    *, consultation: ConsultationRequest, booking: AdviceBooking | None, kind: str
) -> None:
    """The person's mail about their request and booking, in their language (after commit):
    "received" (no booking) or "booked" on submit, "reminder" the day before, "cancelled"."""
    if not consultation.email:
        return
    with language_of(consultation.language):
        context: dict[str, Any] = {"kind": kind, "consultation": consultation}
        ics = None
        if booking is not None:
            slot = booking.slot
            context |= {
                "booking": booking,
                "slot": slot,
                "when": when_text(slot.starts_at, slot.ends_at),
                "booking_url": absolute_url(
                    reverse("portal:advice_booking", args=[booking_token(booking)])
                ),
            }
            ics = (f"advice-{booking.pk}.ics", booking_ics(booking))
        booking_mail_send(
            to=consultation.email,
            language=consultation.language,
            subject=SUBJECTS[kind],
            template="portal/consult/mail/consultation.txt",
            context=context,
            ics=ics,
        )


# --- the day before, and the day ----------------------------------------------------------------


def advice_reminders_send() -> int:
    """Mail every live booking whose session is tomorrow (Tokyo date), once; returns how many.

    Run each morning by Celery beat (config.settings CELERY_BEAT_SCHEDULE). "Tomorrow" is the
    Tokyo calendar day after today's, from 00:00 to 24:00 JST, whenever in the day it runs.
    """
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    since, until = datetime_range(tomorrow, tomorrow)
    due = AdviceBooking.objects.filter(
        cancelled_at__isnull=True,
        reminded_at__isnull=True,
        slot__starts_at__gte=since,
        slot__starts_at__lt=until,
    ).select_related("slot", "slot__ward", "consultation")
    sent = 0
    for booking in due:
        with transaction.atomic():
            consultation_mail_send(
                consultation=booking.consultation, booking=booking, kind="reminder"
            )
            booking.reminded_at = timezone.now()
            booking.save(update_fields=["reminded_at"])
        sent += 1
    return sent


def consultation_bookings(consultation: ConsultationRequest) -> list[AdviceBooking]:
    """A request's bookings, newest first, each with ``day`` (its Tokyo date, ISO)."""
    bookings = list(
        consultation.advice_bookings.select_related("slot", "slot__ward").order_by("-pk")
    )
    for booking in bookings:
        booking.day = _day_of(booking.slot)  # type: ignore[attr-defined]
    return bookings


def advice_day(*, user: User, day: datetime.date) -> list[tuple[AdviceSlot, AdviceBooking | None]]:
    """The slots of ``day`` (Tokyo) the person runs — their ward's, every ward's for admins —
    each with its live booking (and request), or None while it is free."""
    since, until = datetime_range(day, day)
    slots = AdviceSlot.objects.filter(starts_at__gte=since, starts_at__lt=until).select_related(
        "ward", "coordinator"
    )
    if user.role != Role.ADMIN:
        slots = slots.filter(ward__staff=user)
    live = AdviceBooking.objects.filter(cancelled_at__isnull=True).select_related("consultation")
    return [
        (slot, slot.live[0] if slot.live else None)  # type: ignore[attr-defined]
        for slot in slots.prefetch_related(Prefetch("bookings", queryset=live, to_attr="live"))
    ]
