"""State changes people expect to follow (issue #15, item 8): seats, moves, check-in, roster."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from matching.events import services
from matching.events.models import Event, Invitation, InvitationStatus
from portal.models import Notification
from tests.matching.events.test_lifecycle import _dt as _at
from tests.matching.events.test_lifecycle import _event_data
from tests.portal.factories import UserFactory


def _data(**overrides):
    return _event_data(**{"capacity": 3, **overrides})


@pytest.fixture
def full_event(coordinator):
    """Capacity 3: three registered, two waiting."""
    event = services.event_create(created_by=coordinator, data=_data())
    guests = [UserFactory(username=f"guest{i}", role="partner") for i in range(5)]
    for guest in guests:
        services.invitation_register(
            invitation=Invitation.objects.create(event=event, user=guest, role="partner")
        )
    return event, guests


def _statuses(event):
    return list(event.invitations.order_by("pk").values_list("status", flat=True))


def _update(event, **changes):
    event.refresh_from_db()
    data = {name: getattr(event, name) for name in services.EVENT_FIELDS}
    data.update(changes)
    return services.event_update(event=event, data=data, version=event.version)


def test_raising_the_capacity_seats_everyone_waiting_and_tells_them(full_event):
    event, guests = full_event
    assert _statuses(event).count(InvitationStatus.WAITLISTED) == 2
    _update(event, capacity=8)
    assert _statuses(event) == [InvitationStatus.REGISTERED] * 5
    for guest in guests[3:]:
        invitation = Invitation.objects.get(event=event, user=guest)
        assert invitation.checkin_code
        assert Notification.objects.filter(recipient=guest, message__contains="参加登録されました")


def test_raising_the_capacity_by_one_seats_only_the_longest_waiting(full_event):
    event, guests = full_event
    _update(event, capacity=4)
    assert Invitation.objects.get(event=event, user=guests[3]).status == "registered"
    assert Invitation.objects.get(event=event, user=guests[4]).status == "waitlisted"


def test_a_cancelled_registration_passes_its_seat_on(full_event):
    event, guests = full_event
    services.invitation_decline(invitation=Invitation.objects.get(event=event, user=guests[0]))
    assert Invitation.objects.get(event=event, user=guests[3]).status == "registered"


def test_moving_the_date_or_venue_tells_registered_and_waiting_invitees(full_event):
    event, guests = full_event
    undecided = UserFactory(role="partner")
    Invitation.objects.create(event=event, user=undecided, role="partner")
    Notification.objects.all().delete()
    _update(event, starts_at=_at(11), ends_at=_at(11, 16), registration_deadline=_at(8))
    told = set(
        Notification.objects.filter(message__contains="日時・会場が変わりました").values_list(
            "recipient", flat=True
        )
    )
    assert told == {guest.pk for guest in guests}
    Notification.objects.all().delete()
    _update(event, venue="区民会館 2階")
    moved = Notification.objects.filter(recipient=guests[0]).get()
    assert "区民会館 2階" in moved.message


def test_an_edit_that_moves_nothing_tells_no_one(full_event):
    event, _guests = full_event
    Notification.objects.all().delete()
    _update(event, description="持ち物: 名刺")
    assert not Notification.objects.exists()


def _registered(coordinator, partner, **overrides):
    event = services.event_create(created_by=coordinator, data=_data(**overrides))
    invitation = services.invitation_register(
        invitation=Invitation.objects.create(event=event, user=partner, role="partner")
    )
    return event, invitation


def test_check_in_weeks_before_the_event_is_refused_with_when_it_opens(coordinator, partner_a):
    event, invitation = _registered(coordinator, partner_a)
    with pytest.raises(ValidationError, match="受付は開催日当日の 12:00 から"):
        services.event_check_in(event=event, code=invitation.checkin_code)
    assert Invitation.objects.get(pk=invitation.pk).checked_in_at is None


def test_check_in_after_the_end_is_refused(coordinator, partner_a):
    event, invitation = _registered(coordinator, partner_a)
    Event.objects.filter(pk=event.pk).update(starts_at=_at(-1), ends_at=_at(-1, 16))
    event.refresh_from_db()
    with pytest.raises(ValidationError, match="受付時間は終了しました"):
        services.event_check_in(event=event, code=invitation.checkin_code)


def test_check_in_opens_two_hours_before_and_the_window_is_a_setting(
    coordinator, partner_a, settings
):
    event, invitation = _registered(coordinator, partner_a)
    # At 10:00 in Tokyo: "90 minutes from now" must not cross midnight, or the window (never
    # opening on the day before) would refuse it whatever the setting — CI runs at any hour.
    now = _at(2, hour=10)
    Event.objects.filter(pk=event.pk).update(
        starts_at=now + datetime.timedelta(minutes=90), ends_at=now + datetime.timedelta(hours=4)
    )
    event.refresh_from_db()
    with time_machine.travel(now, tick=False):
        settings.EVENT_CHECKIN_OPENS_BEFORE_MINUTES = 60
        with pytest.raises(ValidationError, match="受付は開催日当日の 10:30 から"):
            services.event_check_in(event=event, code=invitation.checkin_code)
        settings.EVENT_CHECKIN_OPENS_BEFORE_MINUTES = 120
        assert services.event_check_in(event=event, code=invitation.checkin_code).checked_in_at


def test_the_window_never_opens_on_the_day_before():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    starts = datetime.datetime(2026, 6, 1, 0, 30, tzinfo=tokyo)
    event = Event(starts_at=starts, ends_at=starts + datetime.timedelta(hours=2))
    opens, _closes = services.checkin_window(event)
    assert opens == datetime.datetime(2026, 6, 1, 0, 0, tzinfo=tokyo)


def test_the_roster_shows_a_check_in_without_a_reload(client, coordinator, partner_a):
    event, invitation = _registered(coordinator, partner_a)
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=2)
    )
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:event_checkin", args=[event.pk]),
        {"code": invitation.checkin_code},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "受け付けました" in body
    assert 'id="checkin-roster" hx-swap-oob="true"' in body
    assert "受付済み 1 人" in body and "✓" in body
    assert "<html" not in body
