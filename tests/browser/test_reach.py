"""Issue 13's journey: a proposal to an organisation without members reaches its contact by
mail, who answers through the link, creates an account, and talks with the coordinator in the
conversation of the project it became.

Driven like the journeys of tests/browser/test_journeys.py: Japanese and English desktop and a
Japanese phone, axe on every page, waits for what the person waits for. The mail is read from
Django's locmem outbox (the live server runs in this process); its link must be absolute, so
SITE_URL is the live server's address here.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from portal.fiscal import date_label
from tests.browser.journey_helpers import (
    EN_DESKTOP,
    JA_DESKTOP,
    JA_MOBILE,
    assert_accessible,
    expect_url,
    journey,
    talk_about_the_project,
)
from tests.matching.factories import proposal_candidate
from tests.partners.factories import ContactPersonFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CONTACT = "hanako@mimamori-sensor.example.jp"
NOTE = "まず神田司町の20世帯で試行してください。"
PASSWORD = "Mimamori-Sensor-2026!"


def journey_contact_reached(j, coordinator, approver) -> None:
    t = j.t
    issue, org, candidate = proposal_candidate(coordinator)
    ContactPersonFactory(organization=org, name="見守 花子", email=CONTACT)
    resource = candidate.resource
    deadline = timezone.localdate() + datetime.timedelta(days=21)

    # The approver approves the candidate with a note and a deadline of their own.
    boss = j.actor()
    j.login(boss, approver.username)
    boss.goto(j.url(f"/matching/issues/{issue.pk}/"))
    j.check(boss, "review (approver)")
    card = boss.locator("article.candidate", has_text=resource.title)
    card.get_by_label(t("コメント（任意）")).fill(NOTE)
    card.get_by_label(t("回答期限（承認するとき）")).fill(deadline.isoformat())
    card.get_by_role("button", name=t("承認"), exact=True).click()
    boss.locator("article.candidate", has_text=resource.title).locator(
        ".status--approved"
    ).wait_for()
    boss.goto(j.url("/matching/proposals/"))
    j.check(boss, "proposals (staff)")
    row = boss.locator("tr", has_text=issue.title)
    # Reached (one contact mailed), not flagged as having no reachable contact.
    assert row.locator(".status--failed").count() == 0 and "1" in row.inner_text()

    # The contact's mail carries an absolute link to the proposal.
    messages = [m for m in mail.outbox if m.to == [CONTACT]]
    assert messages, "the contact was not mailed"
    link = re.search(r"https?://\S+/link/\S+/", messages[-1].body).group(0)
    assert link.startswith(j.live_server.url)

    # Through the link, without an account: the proposal with what the partner needs.
    contact = j.actor()
    contact.goto(link)
    j.check(contact, "proposal (link)")
    main = contact.locator("#main")
    text = main.inner_text()
    shown_deadline = date_label(deadline, language=j.lang)  # as the page writes dates
    for shown in (issue.title, NOTE, "地域振興部 協働推進課", shown_deadline):
        assert shown in text, shown
    main.get_by_label(t("受諾する")).check()
    main.get_by_label(t("理由・メッセージ")).fill("ぜひ試行から始めさせてください。")
    main.get_by_role("button", name=t("回答する")).click()
    contact.locator(".messages").wait_for()
    accepted = t("提案を受諾しました。連携事業として登録されました。")
    assert accepted in contact.locator(".messages").inner_text()
    j.check(contact, "proposal (accepted)")

    # The contact creates a member account on the same page and is signed in.
    join = contact.locator("section", has=contact.locator("#join-heading"))
    join.get_by_label(t("ログインID")).fill("hanako")
    join.locator("#id_password1").fill(PASSWORD)
    join.locator("#id_password2").fill(PASSWORD)
    join.get_by_role("button", name=t("利用者アカウントを作成する")).click()
    expect_url(contact, re.compile(r".*/matching/partner/proposals/\d+/$"))
    j.check(contact, "proposal (member)")
    assert "株式会社みまもりセンサー" in contact.locator(".messages").inner_text()

    # In their portal: the proposal in the list, and the project it became, where the new
    # member and the issue's coordinator talk.
    contact.goto(j.url("/matching/partner/proposals/"))
    j.check(contact, "partner proposals")
    contact.get_by_role("link", name=issue.title).wait_for()
    staff = j.actor()
    j.login(staff, coordinator.username)
    talk_about_the_project(j, contact, staff, issue, coordinator)


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_contact_answers_a_proposal_and_becomes_a_member(
    browser_instance, live_server, settings, coordinator, approver, lang, viewport
):
    settings.SITE_URL = live_server.url
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_contact_reached(j, coordinator, approver)
        assert_accessible(j)
