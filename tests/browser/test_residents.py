"""Residents join a public event (issue #14, "Done when"), driven in Chromium: one resident
signs up in Japanese, another in the English UI (switched with the header's language buttons);
both get their confirmation mails; the first cancels through the link in the mail and the
waiting list moves. Every page reached is checked with axe-core, and on a phone-sized screen
for the Japanese resident (no sideways scrolling)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from matching.events import services as event_services
from matching.events.models import EventTheme, Invitation
from tests.browser.journey_helpers import (
    EN_DESKTOP,
    JA_MOBILE,
    assert_accessible,
    expect_url,
    journey,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "子育て支援マッチングカフェ（住民参加）"
MEETING_URL = "https://meet.example.jp/kosodate-cafe"


def _event(coordinator):
    starts = (timezone.localtime() + datetime.timedelta(days=12)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    return event_services.event_create(
        created_by=coordinator,
        data={
            "title": TITLE,
            "theme": EventTheme.objects.get(name="子育て"),
            "format": "hybrid",
            "venue": "区民センター 多目的ホール",
            "meeting_url": MEETING_URL,
            "description": "子育て支援に取り組む企業・大学と住民が話し合います。",
            "starts_at": starts,
            "ends_at": starts + datetime.timedelta(hours=2),
            "capacity": 2,
            "registration_deadline": starts - datetime.timedelta(days=2),
            "public": True,
            "resident_signup": True,
            "internal_notes": "[demo-event-202612-0]",
        },
    )


def _sign_up(j, *, name: str, email: str, party: int) -> str:
    """From the public list to the confirmation page; returns the 受付番号 shown."""
    t = j.t
    page = j.actor()
    page.goto(j.url("/matching/events/public/"))
    j.check(page, "public events")
    page.locator("#main").get_by_role("link", name=TITLE).click()
    expect_url(page, re.compile(r".*/matching/events/public/\d+/$"))
    main = page.locator("#main")
    assert MEETING_URL not in main.inner_text()
    assert "demo-event" not in page.content()
    j.check(page, "public event")
    form = main.locator("form.form")
    form.get_by_label(t("お名前")).fill(name)
    form.get_by_label(t("メールアドレス")).fill(email)
    form.get_by_label(t("人数（ご本人を含む）")).select_option(str(party))
    form.get_by_role("button", name=t("申し込む")).click()
    expect_url(page, re.compile(r".*/matching/events/seat/[^/]+/$"))
    j.check(page, "sign-up confirmed")
    number = main.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", number)
    return number


def _mail_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def test_residents_sign_up_in_japanese_and_english_and_a_cancellation_moves_the_waiting_list(
    browser_instance, live_server, coordinator
):
    event = _event(coordinator)
    hanako, alex = "hanako@example.jp", "alex@example.com"

    with journey(browser_instance, live_server, *JA_MOBILE) as ja:
        ja_number = _sign_up(ja, name="山田 花子", email=hanako, party=2)
        assert_accessible(ja)
    with journey(browser_instance, live_server, *EN_DESKTOP) as en:
        en_number = _sign_up(en, name="Alex Morgan", email=alex, party=1)
        assert_accessible(en)

    # Two seats: the family of two has them, the English-speaking resident waits.
    places = {p.email: p for p in Invitation.objects.filter(event=event, user=None)}
    assert (places[hanako].status, places[alex].status) == ("registered", "waitlisted")
    assert places[alex].language == "en"
    confirmation, waiting = _mail_to(hanako)[-1], _mail_to(alex)[-1]
    assert ja_number in confirmation.body and MEETING_URL in confirmation.body
    assert en_number in waiting.body and MEETING_URL not in waiting.body
    assert confirmation.attachments and waiting.attachments

    # The first resident cancels through the link in the mail.
    link = re.search(r"https?://\S+(/matching/events/seat/\S+/)", confirmation.body).group(1)
    with journey(browser_instance, live_server, *JA_MOBILE) as ja:
        page = ja.actor()
        page.goto(ja.url(link))
        ja.check(page, "my sign-up")
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#main").get_by_role("button", name=ja.t("お申し込みを取り消す")).click()
        page.locator(".message--success").wait_for()
        assert ja.t("お申し込みを取り消しました。") in page.locator("#main").inner_text()
        ja.check(page, "cancelled")
        assert_accessible(ja)

    # The waiting list moved: the second resident has the seat and is told, with the URL.
    assert Invitation.objects.get(pk=places[alex].pk).status == "registered"
    assert Invitation.objects.get(pk=places[hanako].pk).status == "declined"
    promoted = _mail_to(alex)[-1]
    assert promoted is not waiting
    assert en_number in promoted.body and MEETING_URL in promoted.body
