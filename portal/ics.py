"""iCalendar (RFC 5545) files of one appointment: CRLF lines, escaped text, folded at 75 octets.

One writer for every calendar file the portal hands out (a matching event, an advice-session
booking), so each follows the same rules; the callers decide what goes in (a public file never
carries an online meeting URL: matching.events.ics).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone


def ics_escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ics_fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets without cutting a character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode()) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Appointment:
    """What one VEVENT says. ``uid`` is unique per appointment and stable across versions
    (a calendar replaces the entry with the same UID and a higher ``sequence``)."""

    uid: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0
    cancelled: bool = False


def ics_text(appointment: Appointment) -> str:
    """The calendar file (text, CRLF line ends) with one VEVENT."""
    a = appointment
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//chiiki-renkei-matching//events//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{a.uid}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(a.starts_at)}",
        f"DTEND:{_utc(a.ends_at)}",
        f"SUMMARY:{ics_escape(a.summary)}",
        f"DESCRIPTION:{ics_escape(a.description)}",
    ]
    if a.location:
        lines.append(f"LOCATION:{ics_escape(a.location)}")
    if a.url:
        lines.append(f"URL:{a.url}")
    lines.append(f"SEQUENCE:{a.sequence}")
    lines.append("STATUS:CANCELLED" if a.cancelled else "STATUS:CONFIRMED")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(ics_fold(line) for line in lines) + "\r\n"


def site_uid(name: str) -> str:
    """A UID for appointment ``name`` ("event-12"): the same wherever the file comes from (a
    download, a mail), because the host is the site's (SITE_URL), not a request's."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"{name}@{host}"
