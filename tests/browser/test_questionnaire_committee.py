"""Issue 16 in the browser: a partner answers a questionnaire from the link they were sent and
the answer shows in the KPI on the evaluator's dashboard; an evaluator scores a project on the
committee's rubric and the partner sees the committee's result, not the member's scores."""

from __future__ import annotations

import re

import pytest

from evaluation.committee.models import RubricCriterion
from evaluation.questionnaires import services
from portal.fiscal import current_fiscal_year
from portal.models import Notification
from tests.browser.journey_helpers import (
    JA_DESKTOP,
    JA_MOBILE,
    assert_accessible,
    expect_url,
    journey,
)
from tests.evaluation.factories import MemberFactory
from tests.matching.factories import ProjectFactory
from tests.portal.factories import ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _platform_questionnaire():
    questionnaire = services.questionnaire_create(
        data={"title": "ポータル利用者アンケート", "anonymous": True},
        questions=[
            {
                "text": "ポータル全体の満足度を教えてください。",
                "kind": "scale",
                "required": True,
                "feeds_satisfaction": True,
            },
            {"text": "改善してほしい点", "kind": "text"},
        ],
    )
    services.questionnaire_status_set(questionnaire=questionnaire, status="open")
    return questionnaire


def journey_questionnaire_and_rubric(j, evaluator, partner_a, org_a) -> None:
    t = j.t
    fy = current_fiscal_year()
    questionnaire = _platform_questionnaire()
    services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    link = Notification.objects.get(recipient=partner_a).url
    project = ProjectFactory(title="高齢者見守りセンサー実証事業", ward=ward("13101"))
    project.organizations.add(org_a)
    MemberFactory(name="高橋 幸子", background="resident")

    # The partner opens the link from the mail (no sign-in) and answers.
    partner = j.actor()
    partner.goto(j.url(link))
    j.check(partner, "questionnaire answer")
    partner.get_by_role("group", name=re.compile("ポータル全体の満足度")).get_by_label(
        t("5（満足）")
    ).check()
    partner.get_by_label("改善してほしい点").fill("検索が速くなると助かります。")
    partner.get_by_role("button", name=t("回答を送信する")).click()
    partner.get_by_role("heading", name=t("ご回答ありがとうございました")).wait_for()
    j.check(partner, "questionnaire thanks")
    partner.goto(j.url(link))  # the link is used up
    assert t("すでに回答をいただいています") in partner.locator("#main").inner_text()

    # The evaluator sees it in the user-satisfaction KPI.
    page = j.actor()
    j.login(page, evaluator.username)
    page.goto(j.url(f"/evaluation/?fy={fy}"))
    row = page.locator("tr", has=page.get_by_role("link", name=t("利用者満足度（1〜5）")))
    assert row.locator(".figure-cell").inner_text().strip().startswith("5"), row.inner_text()
    row.locator("details summary").click()
    assert t("プラットフォームのアンケートの満足度設問") in row.inner_text()
    j.check(page, "dashboard")

    # The evaluator scores the project on the rubric.
    page.goto(j.url(f"/evaluation/projects/{project.pk}/"))
    form = page.locator("form.review-form")
    form.locator("select[name=member]").select_option(label="高橋 幸子")
    form.locator("select[name=fiscal_year]").select_option(str(fy))
    for n, criterion in enumerate(RubricCriterion.objects.filter(active=True).order_by("order")):
        form.locator(f"select[name=score_{criterion.pk}]").select_option(str(4 + n % 2))
    first = RubricCriterion.objects.filter(active=True).order_by("order").first()
    form.locator(f"textarea[name=note_{first.pk}]").fill("訪問件数が計画を上回った。")
    form.get_by_role("button", name=t("登録")).click()
    expect_url(page, re.compile(rf".*/evaluation/projects/{project.pk}/#reviews$"))
    assert t("外部評価を登録しました。") in page.locator("#main").inner_text()
    result = page.locator("#reviews .committee-result").first.inner_text()
    assert "4.5" in result and first.name in result
    j.check(page, "project reviewed")

    # The partner sees the committee's result, not the member's own scores.
    j.login(partner, partner_a.username)
    partner.goto(j.url(f"/evaluation/projects/{project.pk}/"))
    reviews = partner.locator("#reviews").inner_text()
    assert "4.5" in reviews and first.name in reviews
    assert "高橋 幸子" not in reviews and "訪問件数が計画を上回った。" not in reviews


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, JA_MOBILE])
def test_journey_questionnaire_answer_reaches_the_kpi_and_rubric_review(
    browser_instance, live_server, evaluator, partner_a, org_a, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_questionnaire_and_rubric(j, evaluator, partner_a, org_a)
        assert_accessible(j)
