"""The mails a resident gets about their place at a public event (they have no account, so no
in-portal notice): each in the language they signed up in, with the 受付番号, the event's
details, the link that opens (and cancels) the sign-up, and the .ics.

The online meeting URL goes only to a resident holding a seat (registered or promoted); a
waiting resident's mail and .ics name the place as the public page does.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from matching.events.ics import event_location, event_to_ics
from matching.events.models import Event, Invitation, InvitationStatus
from portal.bookings import booking_mail_send, language_of, link_token, when_text
from portal.mail import absolute_url

SEAT_LINK = "event-seat"

SUBJECTS = {
    "registered": gettext_lazy("イベントの参加申込を受け付けました"),
    "waitlisted": gettext_lazy("イベントのキャンセル待ちで受け付けました"),
    "promoted": gettext_lazy("キャンセルが出たため、イベントへの参加が確定しました"),
    "resent": gettext_lazy("イベントのお申し込み内容（再送）"),
    "cancelled": gettext_lazy("イベントのお申し込みを取り消しました"),
    "moved": gettext_lazy("お申し込みのイベントの日時・会場が変わりました"),
    "event_cancelled": gettext_lazy("お申し込みのイベントは中止になりました"),
    "reminder": gettext_lazy("明日のイベントのご案内"),
}
# Kinds whose mail carries the calendar file (a cancelled event's says STATUS:CANCELLED).
WITH_ICS = set(SUBJECTS) - {"cancelled"}


def seat_token(invitation: Invitation) -> str:
    """The token of the resident's own page of their sign-up (signed: portal.bookings)."""
    return link_token(kind=SEAT_LINK, pk=invitation.pk, number=invitation.checkin_code or "")


def seat_url(invitation: Invitation) -> str:
    return absolute_url(reverse("matching:event_seat", args=[seat_token(invitation)]))


def public_page_url(event: Event) -> str:
    return absolute_url(reverse("matching:event_public_detail", args=[event.pk]))


def resident_notice_send(*, invitation: Invitation, kind: str) -> None:
    """Mail the resident about their place (after commit); nothing without an address."""
    if not invitation.email:
        return
    with language_of(invitation.language):
        _resident_mail(invitation=invitation, kind=kind)


def _resident_mail(*, invitation: Invitation, kind: str) -> None:
    event = invitation.event
    holds_seat = invitation.status == InvitationStatus.REGISTERED
    context = {
        "kind": kind,
        "invitation": invitation,
        "event": event,
        # In the resident's language when the event has its English (portal.localcontent).
        "title": event.local("title"),
        "holds_seat": holds_seat,
        "waiting": invitation.status == InvitationStatus.WAITLISTED,
        "when": when_text(event.starts_at, event.ends_at),
        "place": event_location(event, with_meeting_url=False),
        "meeting_url": event.meeting_url if holds_seat else "",
        "page_url": public_page_url(event),
        "seat_url": seat_url(invitation),
    }
    ics = None
    if kind in WITH_ICS:
        ics = (
            f"event-{event.pk}.ics",
            event_to_ics(event, with_meeting_url=holds_seat, url=public_page_url(event)),
        )
    booking_mail_send(
        to=invitation.email,
        language=invitation.language,
        subject=SUBJECTS[kind],
        template="matching/events/mail/resident.txt",
        context=context,
        ics=ics,
    )
