"""個別相談会 (issue #14 item 7): slots, booking with a consultation request (one per slot),
acknowledgement with 受付番号 and .ics, the signed cancel link, the reminder the day before
(Tokyo dates), the coordinator's day."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import (
    AccessLog,
    AdviceBooking,
    AdviceSlot,
    ConsultationRequest,
    Notification,
)
from portal.support.advice import services as advice
from tests.portal.factories import ward

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
MEETING_URL = "https://meet.example.jp/advice-chiyoda"


def _slot(coordinator, *, starts_at=None, online=False, **more):
    starts_at = starts_at or timezone.now() + datetime.timedelta(days=3)
    return AdviceSlot.objects.create(
        ward=coordinator.ward,
        coordinator=coordinator,
        starts_at=starts_at,
        duration_minutes=60,
        format="online" if online else "onsite",
        place="" if online else "区役所本庁舎 3階 相談室",
        meeting_url=MEETING_URL if online else "",
        **more,
    )


def _form(**overrides):
    data = {
        "name": "山田 太郎",
        "organization": "山田製作所",
        "email": "yamada@example.jp",
        "phone": "",
        "topic": "start",
        "ward": "",
        "message": "町工場として地域に貢献したい。",
        "website": "",
        "slot": "",
    }
    data.update(overrides)
    return data


def _submit(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:consultation_new"), _form(**overrides))


def _booking_link(message) -> str:
    link = re.search(r"https?://\S+/consult/booking/\S+/", message.body).group(0)
    return link[link.index("/consult/") :]


# --- publishing ------------------------------------------------------------------------------


def test_a_coordinator_publishes_a_slot_that_the_public_list_shows(client, coordinator):
    client.force_login(coordinator)
    starts = timezone.localtime() + datetime.timedelta(days=5)
    response = client.post(
        reverse("portal:advice_slot_create"),
        {
            "ward": coordinator.ward_id,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 45,
            "format": "online",
            "place": "",
            "meeting_url": MEETING_URL,
        },
    )
    assert response.status_code == 302
    slot = AdviceSlot.objects.get()
    assert (slot.coordinator, slot.duration_minutes) == (coordinator, 45)
    client.logout()
    page = client.get(reverse("portal:advice_slots")).content.decode()
    assert slot.when in page and "オンライン" in page
    assert MEETING_URL not in page  # the URL goes only to the booker


def test_a_coordinator_cannot_publish_for_another_ward_or_in_the_past(coordinator):
    with pytest.raises(ValidationError) as refused:
        advice.advice_slot_create(
            by=coordinator,
            data={
                "ward": ward("13112"),
                "starts_at": timezone.now() - datetime.timedelta(hours=1),
                "format": "onsite",
                "place": "",
            },
        )
    assert set(refused.value.message_dict) == {"ward", "starts_at", "place"}
    assert not AdviceSlot.objects.exists()


# --- booking ---------------------------------------------------------------------------------


def test_every_consultation_gets_an_acknowledgement_with_its_receipt_number(
    client, coordinator, django_capture_on_commit_callbacks
):
    response = _submit(client, django_capture_on_commit_callbacks)
    consultation = ConsultationRequest.objects.get()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", consultation.receipt_number)
    message = mail.outbox[-1]
    assert message.to == ["yamada@example.jp"]
    assert consultation.receipt_number in message.body
    assert message.attachments == []
    thanks = client.get(response["Location"]).content.decode()
    assert consultation.receipt_number in thanks


def test_a_request_books_a_slot_with_confirmation_ics_and_link(
    client, coordinator, django_capture_on_commit_callbacks
):
    slot = _slot(coordinator, online=True)
    _submit(client, django_capture_on_commit_callbacks, slot=slot.pk)
    consultation = ConsultationRequest.objects.get()
    booking = AdviceBooking.objects.get()
    assert (booking.slot, booking.consultation) == (slot, consultation)
    # Routed to the coordinator who holds the session, with the slot's ward.
    assert (consultation.assigned_to, consultation.ward) == (coordinator, coordinator.ward)
    assert Notification.objects.filter(recipient=coordinator, message__contains="個別相談会")
    message = mail.outbox[-1]
    starts = timezone.localtime(slot.starts_at)
    weekday = "月火水木金土日"[starts.weekday()]
    assert consultation.receipt_number in message.body
    assert f"{starts.month}月{starts.day}日（{weekday}）" in message.body
    assert MEETING_URL in message.body
    _name, ics, mimetype = message.attachments[0]
    assert mimetype == "text/calendar" and "BEGIN:VEVENT" in ics
    assert MEETING_URL in ics.replace("\r\n ", "")
    page = client.get(_booking_link(message)).content.decode()
    assert consultation.receipt_number in page and MEETING_URL in page
    # A booked slot is no longer offered.
    assert slot not in advice.advice_slots_open()


def test_a_slot_is_booked_once_and_the_second_request_is_refused_with_nothing_stored(
    client, coordinator, django_capture_on_commit_callbacks
):
    slot = _slot(coordinator)
    _submit(client, django_capture_on_commit_callbacks, slot=slot.pk)
    second = _submit(
        client, django_capture_on_commit_callbacks, slot=slot.pk, email="other@example.jp"
    )
    assert second.status_code == 200
    assert "直前に別の方が予約したか" in second.content.decode()
    assert ConsultationRequest.objects.count() == 1
    assert AdviceBooking.objects.count() == 1


def test_the_service_refuses_a_taken_slot_and_the_database_refuses_a_racing_one(coordinator):
    slot = _slot(coordinator)
    first = ConsultationRequest.objects.create(
        name="一人目", email="a@example.jp", topic="start", message="x"
    )
    second = ConsultationRequest.objects.create(
        name="二人目", email="b@example.jp", topic="start", message="y"
    )
    advice.advice_book(consultation=first, slot=slot)
    with pytest.raises(ValidationError, match="直前に別の方が予約しました"):
        advice.advice_book(consultation=second, slot=slot)
    # Two requests that both passed the check: the unique constraint keeps one booking.
    with pytest.raises(IntegrityError), transaction.atomic():
        AdviceBooking.objects.create(slot=slot, consultation=second)
    assert AdviceBooking.objects.filter(slot=slot).count() == 1


# --- the cancel link -------------------------------------------------------------------------


@pytest.fixture
def booked(client, coordinator, django_capture_on_commit_callbacks):
    slot = _slot(coordinator)
    _submit(client, django_capture_on_commit_callbacks, slot=slot.pk)
    return slot, AdviceBooking.objects.get(), _booking_link(mail.outbox[-1])


def _state():
    return list(AdviceBooking.objects.values_list("pk", "cancelled_at"))


def test_cancelling_from_the_link_frees_the_slot_and_tells_the_coordinator(
    client, coordinator, booked, django_capture_on_commit_callbacks
):
    slot, _booking, link = booked
    assert client.get(link).status_code == 200
    assert AdviceBooking.objects.get().cancelled_at is None  # opening changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, follow=True)
    assert "ご予約を取り消しました" in response.content.decode()
    assert AdviceBooking.objects.get().cancelled_at is not None
    assert slot in advice.advice_slots_open()
    assert Notification.objects.filter(recipient=coordinator, message__contains="取り消されました")
    assert "取り消しました" in mail.outbox[-1].body


def test_a_reused_link_says_so_and_changes_nothing(client, booked):
    link = booked[2]
    client.post(link)
    before = _state()
    response = client.post(link, follow=True)
    assert "既に取り消されています" in response.content.decode()
    assert _state() == before


def test_a_tampered_link_is_refused_and_logged(client, booked):
    link = booked[2]
    before = _state()
    response = client.post(link[:-3] + "x/")
    assert response.status_code == 404
    assert "このリンクは正しくありません" in response.content.decode()
    assert _state() == before
    assert AccessLog.objects.filter(kind=AccessLog.Kind.DENIED, detail__contains="advice link")


def test_an_expired_link_is_refused_and_changes_nothing(client, booked, settings):
    link = booked[2]
    before = _state()
    later = timezone.now() + datetime.timedelta(days=settings.BOOKING_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        response = client.post(link)
    assert response.status_code == 410
    assert "有効期限が切れています" in response.content.decode()
    assert _state() == before


# --- the reminder, on both sides of midnight in Tokyo -------------------------------------------


def _booking_at(coordinator, starts_at, name):
    slot = _slot(coordinator, starts_at=starts_at)
    consultation = ConsultationRequest.objects.create(
        name=name, email=f"{name}@example.jp", topic="start", message="x"
    )
    return AdviceBooking.objects.create(slot=slot, consultation=consultation)


def test_the_reminder_goes_only_to_tomorrows_bookings_in_tokyo(
    coordinator, django_capture_on_commit_callbacks
):
    def _reminded(run_at):
        mail.outbox.clear()
        with (
            time_machine.travel(run_at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            sent = advice.advice_reminders_send()
        return sent, sorted(m.to[0].split("@")[0] for m in mail.outbox)

    def jst(day, hour, minute=0):
        return datetime.datetime(2026, 6, day, hour, minute, tzinfo=TOKYO)

    # 6月11日 08:00 JST is 10 June 23:00 UTC: a UTC date would call it "today" on the 10th.
    _booking_at(coordinator, jst(11, 8), "early11")
    _booking_at(coordinator, jst(11, 23, 30), "late11")
    _booking_at(coordinator, jst(12, 0, 10), "just12")
    _booking_at(coordinator, jst(10, 23, 50), "today10")
    cancelled = _booking_at(coordinator, jst(11, 14), "cancelled11")
    AdviceBooking.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())

    # 10 June 23:59 JST (14:59 UTC): tomorrow is the 11th.
    assert _reminded(jst(10, 23, 59)) == (2, ["early11", "late11"])
    # Run again the same night: nobody is reminded twice.
    assert _reminded(jst(10, 23, 59)) == (0, [])
    # 11 June 00:01 JST (10 June 15:01 UTC): tomorrow is the 12th.
    assert _reminded(jst(11, 0, 1)) == (1, ["just12"])


def test_the_reminder_runs_every_morning_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["advice-session-reminders"]
    assert entry["task"] == "portal.tasks.advice_reminders"
    from portal import tasks

    assert tasks.advice_reminders.name == "portal.tasks.advice_reminders"


# --- the coordinator's day -----------------------------------------------------------------------


def test_the_coordinator_sees_the_days_bookings_of_their_ward(
    client, coordinator, coordinator_other_ward, admin_user, partner_a
):
    day = timezone.localdate() + datetime.timedelta(days=2)
    at = datetime.datetime.combine(day, datetime.time(10), tzinfo=TOKYO)
    own = _booking_at(coordinator, at, "own")
    _booking_at(coordinator_other_ward, at + datetime.timedelta(hours=2), "theirs")
    _slot(coordinator, starts_at=at + datetime.timedelta(hours=4))  # free
    url = reverse("portal:advice_day") + f"?date={day.isoformat()}"
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert own.consultation.receipt_number in page and "own" in page
    assert "theirs" not in page
    assert "空き" in page
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.VIEW_PERSONAL, detail=f"advice-day={day}"
    ).exists()
    client.force_login(admin_user)
    assert "theirs" in client.get(url).content.decode()
    client.force_login(partner_a)
    assert client.get(url).status_code == 403


def test_only_a_free_slot_of_the_own_ward_can_be_withdrawn(
    client, coordinator, coordinator_other_ward
):
    free = _slot(coordinator)
    booked = _booking_at(coordinator, timezone.now() + datetime.timedelta(days=4), "b").slot
    other = _slot(coordinator_other_ward)
    client.force_login(coordinator)
    client.post(reverse("portal:advice_slot_withdraw", args=[free.pk]))
    response = client.post(reverse("portal:advice_slot_withdraw", args=[booked.pk]), follow=True)
    assert "予約のある枠は取り下げられません" in response.content.decode()
    assert client.post(reverse("portal:advice_slot_withdraw", args=[other.pk])).status_code == 404
    assert set(AdviceSlot.objects.values_list("pk", flat=True)) == {booked.pk, other.pk}


def test_the_receipt_number_shows_on_the_staff_screens(client, coordinator):
    consultation = ConsultationRequest.objects.create(
        name="鈴木 花子", email="s@example.jp", topic="issue", message="x", ward=coordinator.ward
    )
    client.force_login(coordinator)
    listing = client.get(reverse("portal:consultation_list")).content.decode()
    detail = client.get(
        reverse("portal:consultation_detail", args=[consultation.pk])
    ).content.decode()
    assert consultation.receipt_number in listing and consultation.receipt_number in detail


def test_the_public_list_names_the_ward_in_the_interface_language(client, coordinator):
    _slot(coordinator)
    assert (
        '<td data-label="区">千代田区</td>'
        in client.get(reverse("portal:advice_slots")).content.decode()
    )
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("portal:advice_slots")).content.decode()
    assert ">Chiyoda</td>" in page and "千代田区" not in page
