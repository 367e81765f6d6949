"""iCalendar (RFC 5545) export of one event: CRLF lines, escaped text, folded at 75 octets."""

from __future__ import annotations

import datetime

from django.utils import timezone

from matching.events.models import Event, EventFormat, EventStatus


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


def event_to_ics(event: Event, *, host: str, url: str = "") -> str:
    location = event.venue
    if event.format == EventFormat.ONLINE:
        location = event.meeting_url or "オンライン"
    elif event.format == EventFormat.HYBRID and event.meeting_url:
        location = f"{event.venue} / {event.meeting_url}"
    description = "\n".join(
        part for part in [f"テーマ: {event.theme.name}", event.description, url] if part
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//chiiki-renkei-matching//events//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{host.split(':')[0] or 'localhost'}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(event.starts_at)}",
        f"DTEND:{_utc(event.ends_at)}",
        f"SUMMARY:{ics_escape(event.title)}",
        f"DESCRIPTION:{ics_escape(description)}",
    ]
    if location:
        lines.append(f"LOCATION:{ics_escape(location)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append(f"SEQUENCE:{event.version}")
    lines.append(
        "STATUS:CANCELLED" if event.status == EventStatus.CANCELLED else "STATUS:CONFIRMED"
    )
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(ics_fold(line) for line in lines) + "\r\n"
