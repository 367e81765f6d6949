"""The .ics of one matching event (portal.ics writes the file).

Two versions of the same event: the public one (anyone may download it from a public event's
page) names the place only — an online or hybrid event says 「オンライン」 and never carries the
meeting URL, which only people with a seat and staff receive. Internal notes are never in either.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from matching.events.models import Event, EventFormat, EventStatus
from portal.ics import Appointment, ics_text, site_uid


def event_location(event: Event, *, with_meeting_url: bool) -> str:
    """Where the event takes place, as a calendar or a mail shows it."""
    online = event.meeting_url if with_meeting_url and event.meeting_url else _("オンライン")
    if event.format == EventFormat.ONLINE:
        return online
    if event.format == EventFormat.HYBRID:
        return f"{event.venue} / {online}"
    return event.venue


def event_to_ics(event: Event, *, with_meeting_url: bool, url: str = "") -> str:
    """The calendar file of ``event``; ``with_meeting_url`` only for staff and seat holders."""
    description = "\n".join(
        part
        for part in [
            _("テーマ: %(theme)s") % {"theme": event.theme.name},
            event.description,
            url,
        ]
        if part
    )
    return ics_text(
        Appointment(
            uid=site_uid(f"event-{event.pk}"),
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            summary=event.title,
            description=description,
            location=event_location(event, with_meeting_url=with_meeting_url),
            url=url,
            sequence=event.version,
            cancelled=event.status == EventStatus.CANCELLED,
        )
    )
