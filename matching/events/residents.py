"""Residents at public events: sign-up without an account, the signed link, cancellation.

A resident's place is an ``Invitation`` without a user, so it shares the event's capacity
(counted in people) and waiting list with the invitees through the same services
(``seats_taken``, ``place_give_up``, ``waiting_list_promote``) and is checked in at the same
desk by its 受付番号.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.events.models import (
    ACTIVE_STATUSES,
    PARTY_SIZE_MAX,
    Event,
    EventStatus,
    Invitation,
    InvitationStatus,
    InviteeRole,
)
from matching.events.notices import SEAT_LINK, resident_notice_send
from matching.events.services import place_give_up, seats_open
from portal.bookings import link_read, receipt_number_free
from portal.fiscal import datetime_range
from portal.identifiers import email_key, phone_key
from portal.ratelimit import rate_limit_spent

# Sign-ups per client address and hour: a family or a ward office's kiosk signs up a few
# times; a script filling an event's seats is stopped (portal.ratelimit).
SIGNUP_RATE_LIMIT = 10
SIGNUP_RATE_WINDOW = 3600


class AlreadySignedUp(ValidationError):
    """The same e-mail address or phone number already holds a place at the event."""

    def __init__(self, invitation: Invitation) -> None:
        message = _(
            "このメールアドレスまたは電話番号で、既にこのイベントにお申し込みいただいています。"
        )
        if invitation.email:
            message += " " + _(
                "受付番号と取り消し用のリンクを書いたメールを、お申し込みのときのメールアドレスへもう一度お送りしました。"
            )
        else:
            message += " " + _(
                "受付番号がわからない場合は、当日の受付でお名前と電話番号をお伝えください。"
            )
        super().__init__(message, code="duplicate")
        self.invitation = invitation


def signup_rate_limited(*, client: str) -> bool:
    """Counts one sign-up of ``client``; True once the hourly allowance is spent."""
    return rate_limit_spent(
        scope="event-signup", client=client, limit=SIGNUP_RATE_LIMIT, window=SIGNUP_RATE_WINDOW
    )


def signup_refusal(event: Event) -> str:
    """Why ``event`` takes no sign-up now ("" when it does): the reason the page shows."""
    if not (event.public and event.resident_signup):
        return _("このイベントは住民の方の参加申込を受け付けていません。")
    if event.status != EventStatus.OPEN:
        return _("このイベントは受付を終了しています。")
    if timezone.now() > event.registration_deadline:
        return _("申込締切を過ぎたため、お申し込みは終了しました。")
    return ""


def _active_resident(event: Event, *, email: str, phone: str) -> Invitation | None:
    same_person = Q()
    if email:
        same_person |= Q(email_key=email)
    if phone:
        same_person |= Q(phone_key=phone)
    if not same_person:
        return None
    return (
        event.invitations.filter(same_person, user__isnull=True, status__in=ACTIVE_STATUSES)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def resident_sign_up(*, event: Event, data: dict[str, Any], language: str) -> Invitation:
    """A resident's sign-up: a seat while the event has room for the whole party, else a place
    on the waiting list; either way a 受付番号 and a confirmation mail (after commit).

    ``data``: name, email and/or phone, party_size (1–5), accessibility_needs.
    Raises ValidationError when sign-ups are closed or the data is incomplete, and
    AlreadySignedUp when the normalised e-mail or phone already holds a place (then the
    caller may resend that place's confirmation: ``resident_confirmation_resend``).
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    refusal = signup_refusal(event)
    if refusal:
        raise ValidationError(refusal)
    email, phone = email_key(data.get("email")), phone_key(data.get("phone"))
    if not (email or phone):
        raise ValidationError(_("メールアドレスか電話番号のどちらかを入力してください。"))
    party = int(data.get("party_size") or 1)
    if not 1 <= party <= PARTY_SIZE_MAX:
        raise ValidationError(
            _("人数は1人から%(n)s人までで入力してください。") % {"n": PARTY_SIZE_MAX}
        )
    if party > event.capacity:
        raise ValidationError(
            _("この人数では定員（%(n)s人）を超えるため、お申し込みできません。")
            % {"n": event.capacity}
        )
    existing = _active_resident(event, email=email, phone=phone)
    if existing is not None:
        raise AlreadySignedUp(existing)
    now = timezone.now()
    has_room = party <= seats_open(event)
    invitation = Invitation(
        event=event,
        role=InviteeRole.RESIDENT,
        name=data["name"].strip(),
        email=email,
        phone=(data.get("phone") or "").strip(),
        email_key=email,
        phone_key=phone,
        party_size=party,
        accessibility_needs=(data.get("accessibility_needs") or "").strip(),
        language=language[:8],
        status=InvitationStatus.REGISTERED if has_room else InvitationStatus.WAITLISTED,
        responded_at=now,
        waitlisted_at=None if has_room else now,
        checkin_code=receipt_number_free(Invitation, "checkin_code"),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # The same person's other request won the race (the unique constraints).
        existing = _active_resident(event, email=email, phone=phone)
        if existing is None:
            raise
        raise AlreadySignedUp(existing) from None
    resident_notice_send(invitation=invitation, kind="registered" if has_room else "waitlisted")
    return invitation


def resident_confirmation_resend(*, invitation: Invitation) -> None:
    """Send the place's confirmation again, to the address it was made with (never to the
    address just typed: someone else's e-mail typed into the form learns nothing)."""
    with transaction.atomic():
        resident_notice_send(invitation=invitation, kind="resent")


def resident_place(token: str) -> Invitation:
    """The resident's place a signed link names. Raises ValidationError (expired, invalid)."""
    pk, number = link_read(token, kind=SEAT_LINK)
    invitation = (
        Invitation.objects.select_related("event", "event__theme")
        .filter(pk=pk, checkin_code=number, user__isnull=True)
        .first()
    )
    if invitation is None or not number:
        raise ValidationError(_("このリンクのお申し込みは見つかりません。"), code="invalid")
    return invitation


@transaction.atomic
def resident_cancel(*, token: str) -> Invitation:
    """Cancel the place of a signed link; its seat goes to the waiting list (in order).

    Refused, with nothing changed, when the link is expired or changed, the place is already
    cancelled (a link used twice), or the event has begun, ended or been cancelled.
    """
    found = resident_place(token)
    event = Event.objects.select_for_update().get(pk=found.event_id)
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("event").get(pk=found.pk)
    )
    if invitation.status == InvitationStatus.DECLINED:
        raise ValidationError(
            _("このお申し込み（受付番号 %(code)s）は既に取り消されています。")
            % {"code": invitation.checkin_code},
            code="reused",
        )
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    if timezone.now() >= event.starts_at:
        raise ValidationError(_("イベントが始まったため、取り消しできません。"))
    place_give_up(event=event, invitation=invitation)
    resident_notice_send(invitation=invitation, kind="cancelled")
    return invitation


def resident_reminders_send() -> int:
    """Mail every resident holding a seat at an open event that starts tomorrow (Tokyo date)
    and who gave an e-mail address,
    once (``reminded_at``; residents get no answer-deadline reminder, so the field is theirs
    for this); returns how many mails were queued.

    Run each morning by Celery beat (config.settings CELERY_BEAT_SCHEDULE). "Tomorrow" is the
    Tokyo calendar day after today's, 00:00 to 24:00 JST, whenever in the day it runs. The mail
    repeats the 受付番号, the place (the online URL: the seat is held) and the cancel link, so a
    resident who cannot come frees the seat for the waiting list.
    """
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    since, until = datetime_range(tomorrow, tomorrow)
    due = (
        Invitation.objects.filter(
            user__isnull=True,
            contact__isnull=True,
            status=InvitationStatus.REGISTERED,
            reminded_at__isnull=True,
            event__status=EventStatus.OPEN,
            event__starts_at__gte=since,
            event__starts_at__lt=until,
        )
        .exclude(email="")
        .select_related("event")
    )
    sent = 0
    for invitation in due:
        with transaction.atomic():
            resident_notice_send(invitation=invitation, kind="reminder")
            invitation.reminded_at = timezone.now()
            invitation.save(update_fields=["reminded_at"])
        sent += 1
    return sent
