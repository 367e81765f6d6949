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
    talk_about_the_project,
)
from tests.partners.factories import partner_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OFFER = "センサーと訪問を組み合わせた見守りを、神田地区の20世帯で3か月試行します。"


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

    talk_about_the_project(j, partner, staff, issue, coordinator)


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_partner_proposes_to_an_open_call_staff_approve_and_both_sides_talk(
    browser_instance, live_server, coordinator, approver, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_partner_proposes_and_talks(j, coordinator, approver)
        assert_accessible(j)
