"""Journey of issue 16: a coordinator runs a project without the Django admin — moves it from
実証 to 本格導入 and sets each party's costs — and the project page shows both.

Runs in Japanese on a desktop, in the English UI, and in Japanese on a phone-sized viewport;
every page reached is checked with axe-core and, on the phone, for sideways scrolling.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from tests.browser.journey_helpers import (
    EN_DESKTOP,
    JA_DESKTOP,
    JA_MOBILE,
    assert_accessible,
    expect_url,
    journey,
)
from tests.issues.factories import IssueFactory
from tests.portal.factories import ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _pilot(coordinator, organization):
    from matching.projects.models import Project
    from matching.projects.services import project_create, project_status_change

    project = project_create(
        title="神田地区 見守りセンサー実証事業",
        issues=[IssueFactory(ward=ward("13101"), coordinator=coordinator)],
        organizations=[organization],
        start_date=timezone.localdate() - datetime.timedelta(days=200),
        ward=ward("13101"),
        coordinator=coordinator,
    )
    project_status_change(
        project=project,
        status=Project.Status.PILOT,
        changed_by=coordinator,
        on=project.start_date,
    )
    return project


def journey_project_adoption_and_costs(j, coordinator, organization) -> None:
    t = j.t
    project = _pilot(coordinator, organization)
    page = j.actor()
    j.login(page, coordinator.username)
    page.goto(j.url("/matching/projects/"))
    j.check(page, "projects")
    page.get_by_role("link", name=project.title).click()
    expect_url(page, re.compile(rf".*/matching/projects/{project.pk}/$"))
    assert page.locator("#project-status").inner_text() == t("実証")
    j.check(page, "project (pilot)")

    # 実証 → 本格導入, with the day it took effect and why.
    today = timezone.localdate().isoformat()
    form = page.locator("form[action$='/status/']")
    form.locator("select[name=status]").select_option("adopted")
    form.locator("input[name=changed_on]").fill(today)
    form.locator("textarea[name=note]").fill("区の通常事業として予算化")
    form.get_by_role("button", name=t("状態を変更")).click()
    expect_url(page, re.compile(rf".*/matching/projects/{project.pk}/#status$"))
    assert page.locator("#project-status").inner_text() == t("本格導入")
    history = page.locator("#status table").inner_text()
    assert t("本格導入") in history and "区の通常事業として予算化" in history
    j.check(page, "project (adopted)")

    # The cost split: the ward's money and room, the company's money and equipment.
    page.locator("#costs").get_by_role("link", name=t("費用分担を編集")).click()
    expect_url(page, re.compile(rf".*/matching/projects/{project.pk}/costs/$"))
    j.check(page, "costs")
    page.locator("#id_cash_ward").fill("1200000")
    page.locator("#id_in_kind_ward").fill("60000")
    page.locator("#id_note_ward").fill("区民会館の会議室")
    page.locator(f"#id_cash_{organization.pk}").fill("400000")
    page.locator(f"#id_in_kind_{organization.pk}").fill("250000")
    page.locator(f"#id_note_{organization.pk}").fill("見守りセンサー20台の貸与")
    page.get_by_role("button", name=t("費用分担を保存")).click()
    expect_url(page, re.compile(rf".*/matching/projects/{project.pk}/#costs$"))
    totals = page.locator("#cost-totals").inner_text()
    # 公的負担 = 1,200,000 + 60,000 (the ward's room); 団体負担 400,000; 現物 250,000.
    assert "1,260,000" in totals and "400,000" in totals and "250,000" in totals
    assert "見守りセンサー20台の貸与" in page.locator("#costs table").inner_text()
    j.check(page, "project (costs)")

    project.refresh_from_db()
    assert (project.status, project.public_cost, project.partner_cost, project.in_kind_value) == (
        "adopted",
        1_260_000,
        400_000,
        250_000,
    )


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_coordinator_adopts_a_pilot_and_sets_its_costs(
    browser_instance, live_server, coordinator, org_a, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_project_adoption_and_costs(j, coordinator, org_a)
        assert_accessible(j)
