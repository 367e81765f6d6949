"""Residents join public events (issue #14 item 1): one capacity and waiting list with the
invitees, counted in people; confirmation with 受付番号 and .ics; the signed cancel link; the
desk; what public pages and files never show."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import resolve, reverse
from django.utils import timezone

from matching.events import residents, selectors, services
from matching.events.models import Event, Invitation
from matching.events.notices import SEAT_LINK
from portal.bookings import link_read
from portal.models import AccessLog, Notification
from tests.matching.events.test_lifecycle import _event_data
from tests.portal.factories import UserFactory

MEETING_URL = "https://meet.example.jp/kosodate-2026"
TAG = "[demo-event-202612-0]"


@pytest.fixture
def event(coordinator):
    return services.event_create(
        created_by=coordinator,
        data=_event_data(
            capacity=4,
            public=True,
            resident_signup=True,
            format="hybrid",
            meeting_url=MEETING_URL,
            internal_notes=TAG,
        ),
    )


def _sign_up(event, name="山田 花子", email="", phone="", party=1, language="ja", **more):
    return residents.resident_sign_up(
        event=event,
        data={"name": name, "email": email, "phone": phone, "party_size": party, **more},
        language=language,
    )


def _invitee(event, username):
    user = UserFactory(username=username, role="partner")
    invitation = Invitation.objects.create(event=event, user=user, role="partner")
    return services.invitation_register(invitation=invitation)


def _form(**overrides):
    data = {
        "name": "山田 花子",
        "email": "hanako@example.jp",
        "phone": "",
        "party_size": "2",
        "accessibility_needs": "車いすで参加します。",
    }
    data.update(overrides)
    return data


def _status(invitation):
    return Invitation.objects.get(pk=invitation.pk).status


def _token(invitation):
    from matching.events.notices import seat_token

    return seat_token(invitation)


# --- one capacity, in people -------------------------------------------------------------------


def test_residents_and_invitees_share_seats_counted_in_people(event):
    first = _invitee(event, "guest0")
    family = _sign_up(event, email="family@example.jp", party=3)
    late = _sign_up(event, email="late@example.jp", party=1)
    second = _invitee(event, "guest1")
    assert [first.status, family.status] == ["registered", "registered"]
    assert [late.status, second.status] == ["waitlisted", "waitlisted"]
    assert services.seats_taken(event) == 4
    listed = selectors.events_with_counts().get(pk=event.pk)
    assert (listed.registered, listed.waitlisted) == (4, 2)
    # Every resident place has a 受付番号, even while waiting; an invitee gets one with a seat.
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", late.checkin_code)
    assert second.checkin_code is None


def test_a_cancelled_party_frees_all_its_seats_to_the_waiting_list_in_order(
    event, django_capture_on_commit_callbacks
):
    family = _sign_up(event, email="family@example.jp", party=3)
    _invitee(event, "guest0")
    waiting_pair = _sign_up(event, email="pair@example.jp", party=2)
    waiting_invitee = _invitee(event, "guest1")
    waiting_single = _sign_up(event, phone="090-1111-2222", party=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        residents.resident_cancel(token=_token(family))
    # Three seats free: the pair (2) and the invitee (1), in waiting order; the single waits.
    assert _status(waiting_pair) == "registered"
    assert _status(waiting_invitee) == "registered"
    assert _status(waiting_single) == "waitlisted"
    assert services.seats_taken(event) == 4
    assert Notification.objects.filter(
        recipient=waiting_invitee.user, message__contains="参加登録されました"
    ).exists()
    promoted_mail = next(m for m in mail.outbox if m.to == ["pair@example.jp"])
    assert waiting_pair.checkin_code in promoted_mail.body
    # A seat holder's mail carries the meeting URL, in the text and in the .ics.
    assert MEETING_URL in promoted_mail.body
    assert MEETING_URL in promoted_mail.attachments[0][1].replace("\r\n ", "")
    cancelled_mail = next(m for m in mail.outbox if m.to == ["family@example.jp"])
    assert family.checkin_code in cancelled_mail.body


def test_the_waiting_list_moves_strictly_in_order_of_application(event):
    """お申し込み順: an earlier party of 3 is not overtaken by a later party of 1 when one seat
    frees; both are seated, in order, when enough seats free for the first."""
    first = _sign_up(event, email="a@example.jp", party=3)
    single = _invitee(event, "guest0")
    big = _sign_up(event, email="big@example.jp", party=3)
    small = _sign_up(event, email="small@example.jp", party=1)
    services.invitation_decline(invitation=single)  # 1 seat frees
    assert (_status(big), _status(small)) == ("waitlisted", "waitlisted")
    # A newcomer does not take the free seat either while others wait for it.
    newcomer = _sign_up(event, email="new@example.jp", party=1)
    assert newcomer.status == "waitlisted"
    residents.resident_cancel(token=_token(first))  # 3 more seats: 4 free
    assert (_status(big), _status(small), _status(newcomer)) == (
        "registered",
        "registered",
        "waitlisted",
    )
    assert services.seats_taken(event) == 4


def test_the_resident_pages_state_the_order_of_application(
    event, client, django_capture_on_commit_callbacks
):
    _sign_up(event, email="a@example.jp", party=4)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = _sign_up(event, email="w@example.jp", party=1)
    page = client.get(reverse("matching:event_seat", args=[_token(waiting)])).content.decode()
    assert "先にお申し込みの方が参加できる人数分の席が空くまで" in page
    assert "先にお申し込みの方が参加できる人数分の席が空くまで" in mail.outbox[-1].body


def test_a_party_larger_than_the_event_is_refused(event):
    small_event = services.event_create(
        created_by=event.created_by,
        data=_event_data(capacity=2, public=True, resident_signup=True),
    )
    with pytest.raises(Exception, match="定員（2人）を超える"):
        _sign_up(small_event, email="x@example.jp", party=3)
    assert not small_event.invitations.exists()


# --- the public page -----------------------------------------------------------------------------


def test_sign_up_on_the_page_sends_the_confirmation_with_number_details_and_ics(
    client, event, django_capture_on_commit_callbacks
):
    url = reverse("matching:event_public_detail", args=[event.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _form(email="ＨＡＮＡＫＯ@Example.jp"))
    invitation = Invitation.objects.get(event=event, user=None)
    assert response.status_code == 302
    # The seat link of this sign-up (its token carries a timestamp: read it, do not rebuild it).
    seat = resolve(response["Location"])
    assert seat.url_name == "event_seat"
    assert link_read(seat.kwargs["token"], kind=SEAT_LINK) == (
        invitation.pk,
        invitation.checkin_code,
    )
    assert (invitation.email, invitation.party_size, invitation.status) == (
        "hanako@example.jp",
        2,
        "registered",
    )
    message = mail.outbox[-1]
    assert message.to == ["hanako@example.jp"]
    assert invitation.checkin_code in message.subject + message.body
    starts = timezone.localtime(event.starts_at)  # Tokyo
    weekday = "月火水木金土日"[starts.weekday()]
    assert f"{starts.year}年{starts.month}月{starts.day}日（{weekday}）" in message.body
    assert f"{starts:%H:%M}〜" in message.body
    assert "区役所本庁舎 5階 大会議室" in message.body
    assert MEETING_URL in message.body
    name, ics, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"event-{event.pk}.ics", "text/calendar")
    assert "BEGIN:VEVENT" in ics and MEETING_URL in ics.replace("\r\n ", "")
    followed = client.get(response["Location"]).content.decode()
    assert "お申し込みを受け付けました" in followed
    # The link in the mail opens the sign-up.
    link = re.search(r"https?://\S+/matching/events/seat/\S+/", message.body).group(0)
    page = client.get(link[link.index("/matching/") :])
    assert invitation.checkin_code in page.content.decode()


def test_duplicate_sign_up_by_the_same_normalised_address_or_phone_is_answered_clearly(
    client, event, django_capture_on_commit_callbacks
):
    url = reverse("matching:event_public_detail", args=[event.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _form(email="hanako@example.jp", phone="03-1234-5678"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, _form(email="ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", name="別人"))
    assert again.status_code == 200
    assert "既にこのイベントにお申し込みいただいています" in again.content.decode()
    # The confirmation goes again to the address the place was made with, not to the typist.
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]
    by_phone = client.post(url, _form(email="", phone="０３（１２３４）５６７８"))
    assert "既にこのイベントにお申し込みいただいています" in by_phone.content.decode()
    assert event.invitations.count() == 1


def test_after_cancelling_the_same_person_may_sign_up_again(event):
    place = _sign_up(event, email="hanako@example.jp")
    residents.resident_cancel(token=_token(place))
    again = _sign_up(event, email="hanako@example.jp")
    assert again.status == "registered" and again.pk != place.pk


def test_the_same_form_sent_twice_makes_one_sign_up(client, event):
    url = reverse("matching:event_public_detail", args=[event.pk])
    page = client.get(url).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)
    first = client.post(url, _form(form_token=token))
    second = client.post(url, _form(form_token=token))
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert event.invitations.count() == 1


def test_sign_ups_are_rate_limited_per_client(client, event):
    url = reverse("matching:event_public_detail", args=[event.pk])
    for number in range(residents.SIGNUP_RATE_LIMIT):
        client.post(url, _form(email=f"p{number}@example.jp", party_size="1"))
    response = client.post(url, _form(email="one-more@example.jp", party_size="1"))
    assert response.status_code == 429
    assert not event.invitations.filter(email="one-more@example.jp").exists()


def test_no_contact_is_refused_and_nothing_stored(client, event):
    url = reverse("matching:event_public_detail", args=[event.pk])
    response = client.post(url, _form(email="", phone=""))
    assert "メールアドレスか電話番号のどちらかを入力してください" in response.content.decode()
    assert not event.invitations.exists()


def test_an_event_without_resident_seats_shows_no_form_and_takes_no_sign_up(client, coordinator):
    closed = services.event_create(
        created_by=coordinator, data=_event_data(public=True, resident_signup=False)
    )
    url = reverse("matching:event_public_detail", args=[closed.pk])
    assert 'name="party_size"' not in client.get(url).content.decode()
    client.post(url, _form())
    assert not closed.invitations.exists()


def test_resident_sign_up_needs_a_public_event(coordinator):
    with pytest.raises(Exception, match="住民に公開してください"):
        services.event_create(
            created_by=coordinator, data=_event_data(public=False, resident_signup=True)
        )


# --- what the public never sees ------------------------------------------------------------------


def test_public_page_list_and_ics_show_neither_meeting_url_nor_internal_notes(client, event):
    pages = [
        client.get(reverse("matching:event_public_detail", args=[event.pk])),
        client.get(reverse("matching:event_public_list")),
        client.get(reverse("matching:event_public_list") + "?view=month"),
        client.get(reverse("matching:event_ics", args=[event.pk])),
    ]
    for response in pages:
        text = response.content.decode().replace("\r\n ", "")
        assert response.status_code == 200
        assert MEETING_URL not in text
        assert TAG not in text and "demo-event" not in text
    ics = pages[-1].content.decode().replace("\r\n ", "")
    assert "LOCATION:区役所本庁舎 5階 大会議室 / オンライン" in ics


def test_staff_and_seat_holders_get_the_ics_with_the_meeting_url(client, event, coordinator):
    url = reverse("matching:event_ics", args=[event.pk])
    client.force_login(coordinator)
    assert MEETING_URL in client.get(url).content.decode().replace("\r\n ", "")
    client.logout()
    seat = _sign_up(event, email="a@example.jp", party=4)
    waiting = _sign_up(event, email="b@example.jp")
    for place, has_url in ((seat, True), (waiting, False)):
        ics = client.get(reverse("matching:event_seat_ics", args=[_token(place)]))
        assert (MEETING_URL in ics.content.decode().replace("\r\n ", "")) is has_url


def test_a_waiting_resident_gets_neither_url_in_mail_nor_in_ics(
    event, django_capture_on_commit_callbacks
):
    _sign_up(event, email="a@example.jp", party=4)
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(event, email="waiting@example.jp")
    message = mail.outbox[-1]
    assert "キャンセル待ち" in message.body
    assert MEETING_URL not in message.body
    assert MEETING_URL not in message.attachments[0][1].replace("\r\n ", "")


def test_demo_tags_left_in_descriptions_move_to_internal_notes(coordinator):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("matching.migrations.0010_event_resident_signup")
    old = services.event_create(created_by=coordinator, data=_event_data(public=True))
    Event.objects.filter(pk=old.pk).update(
        description=f"{TAG} 地域課題の担当者と企業・大学が直接話し合います。", internal_notes=""
    )
    migration.demo_tags_to_internal_notes(apps, None)
    old.refresh_from_db()
    assert (old.internal_notes, old.description) == (
        TAG,
        "地域課題の担当者と企業・大学が直接話し合います。",
    )


# --- the cancel link ------------------------------------------------------------------------------


def _snapshot(event):
    return list(event.invitations.order_by("pk").values_list("pk", "status", "checkin_code"))


def test_cancel_link_opens_without_changing_anything_and_the_button_cancels(client, event):
    place = _sign_up(event, email="a@example.jp", party=4)
    waiting = _sign_up(event, email="b@example.jp")
    url = reverse("matching:event_seat", args=[_token(place)])
    assert place.checkin_code in client.get(url).content.decode()
    assert _status(place) == "registered"  # a mail scanner opening the link cancels nothing
    response = client.post(url, follow=True)
    assert "お申し込みを取り消しました" in response.content.decode()
    assert (_status(place), _status(waiting)) == ("declined", "registered")


def test_a_reused_cancel_link_says_so_and_changes_nothing(client, event):
    place = _sign_up(event, email="a@example.jp", party=4)
    url = reverse("matching:event_seat", args=[_token(place)])
    client.post(url)
    _sign_up(event, email="c@example.jp", party=4)
    before = _snapshot(event)
    response = client.post(url, follow=True)
    assert "既に取り消されています" in response.content.decode()
    assert _snapshot(event) == before


def test_a_tampered_cancel_link_is_refused_and_logged(client, event):
    place = _sign_up(event, email="a@example.jp")
    token = _token(place)
    before = _snapshot(event)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense"):
        response = client.post(reverse("matching:event_seat", args=[bad]))
        assert response.status_code == 404
        assert "このリンクは正しくありません" in response.content.decode()
    assert _snapshot(event) == before
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.DENIED, detail__contains="event-seat"
    ).exists()


def test_a_link_to_another_place_with_the_wrong_number_is_refused(client, event):
    from portal.bookings import link_token

    place = _sign_up(event, email="a@example.jp")
    forged = link_token(kind="event-seat", pk=place.pk, number="AAAAAAAA")
    response = client.post(reverse("matching:event_seat", args=[forged]))
    assert response.status_code == 404
    assert _status(place) == "registered"


def test_an_expired_cancel_link_is_refused_and_changes_nothing(client, event, settings):
    place = _sign_up(event, email="a@example.jp")
    url = reverse("matching:event_seat", args=[_token(place)])
    later = timezone.now() + datetime.timedelta(days=settings.BOOKING_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        response = client.post(url)
    assert response.status_code == 410
    assert "有効期限が切れています" in response.content.decode()
    assert _status(place) == "registered"


def test_cancelling_after_the_start_is_refused(client, event):
    place = _sign_up(event, email="a@example.jp")
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    response = client.post(reverse("matching:event_seat", args=[_token(place)]), follow=True)
    assert "イベントが始まったため" in response.content.decode()
    assert _status(place) == "registered"


# --- the desk ------------------------------------------------------------------------------------


def test_the_desk_checks_in_a_resident_by_receipt_number(client, event, coordinator):
    family = _sign_up(event, name="佐藤 一家", email="sato@example.jp", party=3)
    _sign_up(event, email="full@example.jp", party=1)
    waiting = _sign_up(event, email="waiting@example.jp", party=1)
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=2)
    )
    client.force_login(coordinator)
    url = reverse("matching:event_checkin", args=[event.pk])
    roster = client.get(url).content.decode()
    assert "佐藤 一家" in roster and family.checkin_code in roster
    typed = family.checkin_code[:4].lower() + "-" + family.checkin_code[4:]
    response = client.post(url, {"code": typed}, headers={"HX-Request": "true"})
    assert "佐藤 一家 さん（3人）を受け付けました" in response.content.decode()
    assert Invitation.objects.get(pk=family.pk).checked_in_at is not None
    refused = client.post(url, {"code": waiting.checkin_code}, headers={"HX-Request": "true"})
    assert "参加登録にありません" in refused.content.decode()
    assert Invitation.objects.get(pk=waiting.pk).checked_in_at is None


def test_staff_see_residents_contacts_on_the_event_and_the_access_is_logged(
    client, event, coordinator
):
    _sign_up(event, email="a@example.jp", phone="03-1111-2222", party=2)
    client.force_login(coordinator)
    page = client.get(reverse("matching:event_detail", args=[event.pk])).content.decode()
    assert "a@example.jp" in page and TAG in page
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.VIEW_PERSONAL, detail=f"event-residents={event.pk}"
    ).exists()


def test_cancelling_the_event_mails_the_residents(event, django_capture_on_commit_callbacks):
    _sign_up(event, email="a@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(event=event)
    message = mail.outbox[-1]
    assert message.to == ["a@example.jp"] and "中止" in message.body
    assert "STATUS:CANCELLED" in message.attachments[0][1]


def test_an_english_sign_up_keeps_its_language_for_later_mails(client, event):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("matching:event_public_detail", args=[event.pk]), _form())
    assert Invitation.objects.get(event=event, user=None).language == "en"


# --- the day before ------------------------------------------------------------------------------


def test_residents_holding_a_seat_are_reminded_the_day_before_in_tokyo(
    event, django_capture_on_commit_callbacks
):
    seated = _sign_up(event, name="席あり", email="seat@example.jp", party=2)
    _sign_up(event, name="電話だけ", phone="090-1234-5678")  # no address: the desk knows them
    waiting = _sign_up(event, name="待ち", email="wait@example.jp", party=3)
    gone = _sign_up(event, name="取消", email="gone@example.jp")
    residents.resident_cancel(token=_token(gone))
    assert _status(waiting) == "waitlisted"

    def reminded(run_at):
        mail.outbox.clear()
        with (
            time_machine.travel(run_at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            sent = residents.resident_reminders_send()
        return sent, [m.to[0] for m in mail.outbox]

    day = timezone.localtime(event.starts_at).date()

    def at(days_before, hour, minute):
        moment = datetime.datetime.combine(day, datetime.time(hour, minute))
        return timezone.make_aware(moment) - datetime.timedelta(days=days_before)

    # 23:59 two days before, and 00:01 on the day itself: "tomorrow" is another day.
    assert reminded(at(2, 23, 59)) == (0, [])
    assert reminded(at(0, 0, 1)) == (0, [])
    assert reminded(at(1, 23, 59)) == (1, ["seat@example.jp"])
    body = mail.outbox[0].body
    assert "明日はお申し込みのイベントの日です" in body
    assert seated.checkin_code in body and MEETING_URL in body  # the seat is held
    assert mail.outbox[0].attachments[0][0].endswith(".ics")
    # Run again the same night: nobody is reminded twice.
    assert reminded(at(1, 23, 59)) == (0, [])


def test_the_residents_reminder_runs_every_morning_from_beat():
    from django.conf import settings as django_settings

    from matching import tasks

    entry = django_settings.CELERY_BEAT_SCHEDULE["event-resident-reminders"]
    assert entry["task"] == tasks.event_resident_reminders.name


def test_an_english_sign_up_is_mailed_the_events_english_title(
    event, django_capture_on_commit_callbacks
):
    Event.objects.filter(pk=event.pk).update(
        title_en="Child-rearing pitch", description_en="Ward staff and companies talk."
    )
    event.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(event, email="en@example.jp", language="en")
        _sign_up(event, email="ja@example.jp", language="ja")
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "Child-rearing pitch" in bodies["en@example.jp"]
    assert event.title in bodies["ja@example.jp"]
