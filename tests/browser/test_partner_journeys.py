"""Issue 13's partner journey in Chromium: a member proposes to an open call, staff approve, the
project appears, and partner and coordinator talk in the project's conversation.

Run like test_journeys.py: in Japanese on a desktop, in the English UI on a desktop, and in
Japanese on a phone-sized viewport; every page reached is checked with axe-core.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from portal.fiscal import date_label
from tests.browser.journey_helpers import (
    EN_DESKTOP,
    JA_DESKTOP,
    JA_MOBILE,
    assert_accessible,
    expect_url,
    journey,
)
from tests.partners.factories import partner_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OFFER = "センサーと訪問を組み合わせた見守りを、神田地区の20世帯で3か月試行します。"
QUESTION = "試行の対象世帯はどのように選びますか。"
ANSWER = "町会と民生委員の推薦で選びます。来週打合せをしましょう。"


def _open_issue():
    """An open issue of 千代田区 with ranked candidates, coordinated by the coordinator."""
    from matching.models import MatchRun
    from matching.runs import services as run_services
    from tests.matching.factories import matching_world

    issues, resources = matching_world(3)
    run_services.match_run_start(scope=MatchRun.Scope.ALL)
    return issues[0], resources[0]


def journey_partner_proposes_and_talks(j, coordinator, approver) -> None:
    t = j.t
    issue, resource = _open_issue()
    issue.coordinator = coordinator
    issue.save(update_fields=["coordinator"])
    member = partner_user(resource.organization, "partner_propose")
    deadline = timezone.localdate() + datetime.timedelta(days=21)

    # The coordinator publishes the issue as an open call from its review screen.
    staff = j.actor()
    j.login(staff, coordinator.username)
    staff.goto(j.url(f"/matching/issues/{issue.pk}/"))
    call = staff.locator("#open-call")
    call.locator("input[name=deadline]").fill(deadline.isoformat())
    call.locator("textarea[name=criteria]").fill("実現性と継続性、費用の妥当性を重視します。")
    call.get_by_role("button", name=t("募集を公開する")).click()
    expect_url(staff, re.compile(rf".*/matching/issues/{issue.pk}/.*"))
    assert date_label(deadline, language=j.lang) in staff.locator("#open-call").inner_text()
    j.check(staff, "review with open call")

    # The partner finds the issue among those that fit its resources and proposes.
    partner = j.actor()
    j.login(partner, member.username)
    j.menu(partner, "募集中の課題")
    expect_url(partner, re.compile(r".*/matching/partner/issues/$"))
    j.check(partner, "open issues")
    partner.locator("article.partner-issue", has_text=issue.title).first.get_by_role(
        "link", name=issue.title
    ).click()
    expect_url(partner, re.compile(rf".*/matching/partner/issues/{issue.pk}/$"))
    assert "実現性と継続性" in partner.locator("#main").inner_text()
    j.check(partner, "issue and proposal form")
    form = partner.locator("#propose-form")
    form.locator("textarea[name=message]").fill(OFFER)
    form.locator("input[name=resources]").first.check()
    form.locator("input[name=period_start]").fill("2027-01-10")
    form.locator("input[name=period_end]").fill("2027-03-31")
    form.locator("input[name=public_cost]").fill("800,000")
    form.locator("input[name=partner_cost]").fill("200000")
    form.get_by_role("button", name=t("提案を送る")).click()
    expect_url(partner, re.compile(r".*/matching/partner/proposals/\d+/$"))
    assert (
        t("提案を送りました。区からの回答をお待ちください。")
        in partner.locator("#main").inner_text()
    )
    j.check(partner, "sent proposal")

    # The approver approves it beside the engine's candidates; it becomes a project.
    boss = j.actor()
    j.login(boss, approver.username)
    boss.goto(j.url(f"/matching/issues/{issue.pk}/"))
    offer = boss.locator("article.offer", has_text=OFFER)
    offer.get_by_label(t("コメント（任意・団体に伝わります）")).fill("まず20世帯で試行")
    offer.get_by_role("button", name=t("承認"), exact=True).click()
    boss.locator("article.offer .status--accepted").wait_for()
    j.check(boss, "review (partner proposal approved)")

    # The project appears for the partner, who writes in its conversation.
    partner.goto(j.url("/evaluation/projects/"))
    links = partner.locator("#main table a")
    assert links.count() == 1, "the partner should see exactly its new project"
    links.first.click()
    expect_url(partner, re.compile(r".*/evaluation/projects/\d+/$"))
    j.check(partner, "project")
    partner.get_by_role("link", name=t("この連携事業について区と団体でやりとりする")).click()
    expect_url(partner, re.compile(r".*/matching/conversations/projects/\d+/$"))
    thread_url = partner.url
    partner.locator("textarea[name=body]").fill(QUESTION)
    partner.get_by_role("button", name=t("送信する")).click()
    partner.locator("#thread .chat-message", has_text=QUESTION).wait_for()
    j.check(partner, "conversation (sent)")

    # The coordinator finds it in the conversation list and replies.
    staff.goto(j.url("/matching/conversations/"))
    j.check(staff, "conversations")
    staff.get_by_role("link", name=re.compile(re.escape(issue.title))).first.click()
    expect_url(staff, re.compile(re.escape(thread_url) + "$"))
    assert QUESTION in staff.locator("#thread").inner_text()
    staff.locator("textarea[name=body]").fill(ANSWER)
    staff.get_by_role("button", name=t("送信する")).click()
    staff.locator("#thread .chat-message", has_text=ANSWER).wait_for()
    j.check(staff, "conversation (reply)")

    # The partner sees the reply, and that the coordinator has read the question.
    partner.reload()
    thread = partner.locator("#thread")
    assert ANSWER in thread.inner_text()
    question = thread.locator(".chat-message", has_text=QUESTION)
    assert str(coordinator) in question.locator(".chat-message__read").inner_text()
    j.check(partner, "conversation (reply seen)")


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_partner_proposes_to_an_open_call_staff_approve_and_both_sides_talk(
    browser_instance, live_server, coordinator, approver, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_partner_proposes_and_talks(j, coordinator, approver)
        assert_accessible(j)
