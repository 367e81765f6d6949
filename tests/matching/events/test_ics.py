"""The .ics export: valid iCalendar with CRLF line ends, escaping and 75-octet folding."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from matching.events import services as event_services
from matching.events.models import EventTheme
from portal.ics import ics_escape, ics_fold


def _event(coordinator, **overrides):
    start = (timezone.now() + datetime.timedelta(days=10)).replace(microsecond=0)
    data = {
        "title": "防災・DX交流会; 企業, 大学\\区",
        "theme": EventTheme.objects.get(name="防災"),
        "format": "hybrid",
        "venue": "区民センター 多目的ホール",
        "meeting_url": "https://meet.example.jp/bousai",
        "description": "一行目\n二行目、" + "長い説明文" * 30,
        "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=2),
        "capacity": 40,
        "registration_deadline": start - datetime.timedelta(days=3),
        "public": True,
    }
    data.update(overrides)
    return event_services.event_create(created_by=coordinator, data=data)


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_download_is_valid_icalendar(client, coordinator, settings):
    settings.SITE_URL = "https://renkei.example.city.tokyo.jp"
    event = _event(coordinator)
    client.force_login(coordinator)
    response = client.get(reverse("matching:event_ics", args=[event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content.decode()
    assert raw.endswith("\r\n")
    # Every line ends with CRLF: no bare LF anywhere.
    assert "\n" not in raw.replace("\r\n", "")
    # No physical line exceeds 75 octets.
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = _unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert lines[-2] == "END:VCALENDAR"
    # One UID wherever the file comes from (a download, a mail): the site's host.
    assert f"UID:event-{event.pk}@renkei.example.city.tokyo.jp" in lines
    assert "SUMMARY:防災・DX交流会\\; 企業\\, 大学\\\\区" in lines
    start_utc = event.starts_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start_utc}" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "一行目\\n二行目、" in description
    location = next(line for line in lines if line.startswith("LOCATION:"))
    assert "区民センター" in location and "https://meet.example.jp/bousai" in location


def test_escape_and_fold_helpers():
    assert ics_escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    folded = ics_fold("SUMMARY:" + "あ" * 40)
    parts = folded.split("\r\n")
    assert len(parts) == 2
    assert parts[1].startswith(" ")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "あ" * 40


def test_private_event_ics_needs_staff_or_invitation(client, coordinator, partner_a):
    event = _event(coordinator, public=False)
    assert client.get(reverse("matching:event_ics", args=[event.pk])).status_code == 404
    client.force_login(coordinator)
    assert client.get(reverse("matching:event_ics", args=[event.pk])).status_code == 200
