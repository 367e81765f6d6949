"""The public side in Chromium: a resident goes from the map to an issue's page and on to its
project's results; every public page of the accessibility statement passes axe-core (0
serious/critical) in Japanese and English, on a 390 × 844 phone (without sideways scrolling)
and on a desktop."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from evaluation.models import CaseStudy, ReportFile
from issues.models import Issue, IssueStatus
from matching.events.models import Event, EventStatus, EventTheme
from portal.models import FaqCategory, FaqEntry
from portal.statements.views import PUBLIC_PAGES
from tests.browser.journey_helpers import assert_accessible, expect_url, journey
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory
from tests.portal.factories import ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ISSUE_TITLE = "商店街の空き店舗を親子の居場所に"
PROJECT_TITLE = "空き店舗こども広場プロジェクト"
CASE_TITLE = "空き店舗を使った親子の居場所づくり"


def _world() -> dict:
    """One record of each kind a public page shows (issue, project, case, event, FAQ, report)."""
    issue = IssueFactory(
        title=ISSUE_TITLE, ward=ward("13101"), status=IssueStatus.COLLABORATING, area="神田"
    )
    IssueFactory(title="公園の見守りの担い手", ward=ward("13101"), status=IssueStatus.OPEN)
    project = ProjectFactory(
        title=PROJECT_TITLE, summary="空き店舗を改装し、親子が集まれる広場を開いた。"
    )
    project.issues.add(issue)
    project.organizations.add(OrganizationFactory(name="株式会社かんだ商店会サービス"))
    CaseStudy.objects.create(
        project=project,
        kind="best",
        title=CASE_TITLE,
        summary="商店会・区・企業が役割を分け、半年で月300人が利用した。",
        published=True,
    )
    start = timezone.now() + datetime.timedelta(days=7)
    event = Event.objects.create(
        title="子育てと商店街の交流会",
        theme=EventTheme.objects.order_by("pk").first(),
        capacity=40,
        venue="千代田区役所 4階",
        public=True,
        status=EventStatus.OPEN,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        registration_deadline=start - datetime.timedelta(days=1),
    )
    category = FaqCategory.objects.create(name="連携について")
    faq = FaqEntry.objects.create(
        category=category,
        question="団体の登録に必要なものは？",
        answer="団体名と担当者の連絡先です。",
    )
    report = ReportFile.objects.create(
        fiscal_year=2025,
        format="csv",
        status=ReportFile.Status.DONE,
        published_at=timezone.now(),
        figures=[
            {
                "fiscal_year": 2025,
                "code": "reports_published",
                "indicator": "評価報告書の公表数（年間）",
                "value": "0",
                "target": "4",
                "baseline": None,
                "unit": "件",
            }
        ],
    )
    report.file.save("report.csv", ContentFile(b"fiscal_year,indicator\n"))
    issue = Issue.objects.select_related("ward").get(pk=issue.pk)
    return {
        "issues:public_detail": [issue.public_ward_key, issue.pk],
        "evaluation:public_project": [project.pk],
        "matching:event_public_detail": [event.pk],
        "portal:faq_entry": [faq.pk],
    }


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_resident_goes_from_the_map_to_an_issue_and_on_to_its_results(
    browser_instance, live_server, lang
):
    _world()
    with journey(browser_instance, live_server, lang, "mobile") as j:
        page = j.actor()
        page.goto(j.url("/issues/public/"))
        j.check(page, "public list")
        # The map: 千代田区 leads to its open issues.
        page.locator('svg a[href*="ward=13101"]').first.click()
        expect_url(page, re.compile(r".*/issues/public/\?ward=13101&status=open#h-list$"))
        assert page.locator("#public-results article").count() == 1
        # Widen to every status with the filter (an HTMX swap that keeps the address bar).
        page.locator("#id_status").select_option("")
        expect_url(page, re.compile(r".*/issues/public/\?.*ward=13101.*"))
        page.get_by_role("link", name=ISSUE_TITLE).wait_for()
        page.get_by_role("link", name=ISSUE_TITLE).click()
        expect_url(page, re.compile(r".*/issues/public/13101/\d+/$"))
        assert page.get_by_role("heading", level=1).inner_text() == ISSUE_TITLE
        assert page.locator('[aria-current="step"]').count() == 1
        j.check(page, "issue page")
        page.get_by_role("link", name=re.compile(PROJECT_TITLE)).click()
        expect_url(page, re.compile(r".*/evaluation/public/projects/\d+/$"))
        assert page.get_by_role("heading", level=1).inner_text() == PROJECT_TITLE
        assert page.get_by_role("heading", name=CASE_TITLE).is_visible()
        j.check(page, "project results")
        assert_accessible(j)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["mobile", "desktop"])
def test_every_public_page_passes_axe(browser_instance, live_server, lang, viewport):
    args = _world()
    with journey(browser_instance, live_server, lang, viewport) as j:
        page = j.actor()
        for url_name, _label in PUBLIC_PAGES:
            page.goto(j.url(reverse(url_name, args=args.get(url_name, []))))
            j.check(page, url_name)
        assert_accessible(j)
