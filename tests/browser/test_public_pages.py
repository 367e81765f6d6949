"""The public side in Chromium: a resident goes from the map to an issue's page and on to its
project's results; every public page of the accessibility statement passes axe-core (0
serious/critical) in Japanese and English, on a 390 × 844 phone (without sideways scrolling)
and on a desktop."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.statements.views import PUBLIC_PAGES
from tests.browser.journey_helpers import assert_accessible, expect_url, journey
from tests.public_world import CASE_TITLE, ISSUE_TITLE, PROJECT_TITLE, public_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_title(shown: str, title: str, lang: str) -> None:
    """The heading is the record's title; in English a text with no English version carries
    the visible "Japanese only" marker (portal.localcontent)."""
    assert shown.startswith(title)
    assert ("Japanese only" in shown) == (lang == "en")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_resident_goes_from_the_map_to_an_issue_and_on_to_its_results(
    browser_instance, live_server, lang
):
    public_world()
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
        assert_title(page.get_by_role("heading", level=1).inner_text(), ISSUE_TITLE, lang)
        assert page.locator('[aria-current="step"]').count() == 1
        j.check(page, "issue page")
        page.get_by_role("link", name=re.compile(PROJECT_TITLE)).click()
        expect_url(page, re.compile(r".*/evaluation/public/projects/\d+/$"))
        # A project's title has no English field: marked lang="ja", without the marker.
        assert page.get_by_role("heading", level=1).inner_text() == PROJECT_TITLE
        assert page.get_by_role("heading", name=CASE_TITLE).is_visible()
        j.check(page, "project results")
        assert_accessible(j)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["mobile", "desktop"])
def test_every_public_page_passes_axe(browser_instance, live_server, lang, viewport):
    args = public_world()
    with journey(browser_instance, live_server, lang, viewport) as j:
        page = j.actor()
        for url_name, _label in PUBLIC_PAGES:
            page.goto(j.url(reverse(url_name, args=args.get(url_name, []))))
            j.check(page, url_name)
        assert_accessible(j)
