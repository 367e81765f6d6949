"""Residents' sign-ups are erased 90 days (settings) after their event ends: who they were
goes, from the row and its history copies; the place and the counts stay."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from matching.events import residents, services
from matching.events.models import Invitation
from matching.events.retention import resident_signups_erase
from tests.matching.events.test_lifecycle import _event_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(coordinator):
    return services.event_create(
        created_by=coordinator,
        data=_event_data(capacity=10, public=True, resident_signup=True),
    )


def test_a_residents_details_go_after_the_period_and_the_counts_stay(client, coordinator, event):
    seat = residents.resident_sign_up(
        event=event,
        data={
            "name": "山田 花子",
            "email": "hanako@example.jp",
            "phone": "090-1111-2222",
            "party_size": 3,
            "accessibility_needs": "車いすで参加します",
        },
        language="ja",
    )
    days = settings.PERSONAL_DATA_RETENTION_DAYS["event_signups"]
    ended = timezone.localtime(event.ends_at)
    with time_machine.travel(ended + datetime.timedelta(days=days - 1), tick=False):
        assert resident_signups_erase() == 0
    with time_machine.travel(ended + datetime.timedelta(days=days, minutes=1), tick=False):
        assert resident_signups_erase() == 1
        assert resident_signups_erase() == 0

    seat = Invitation.objects.get(pk=seat.pk)
    assert (seat.name, seat.email, seat.phone, seat.accessibility_needs) == ("", "", "", "")
    assert (seat.status, seat.party_size, seat.checkin_code) == ("registered", 3, seat.checkin_code)
    assert {(h.name, h.email, h.accessibility_needs) for h in seat.history.all()} == {("", "", "")}
    client.force_login(coordinator)
    page = client.get(reverse("matching:event_detail", args=[event.pk])).content.decode()
    assert "個人情報は消去済み" in page and "hanako@example.jp" not in page
