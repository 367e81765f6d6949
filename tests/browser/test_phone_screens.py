"""Phone-sized staff screens (#14 item 6): a folded header, no sideways scrolling at 320 px, tables
as labelled rows, and an inline change announced through one persistent live region."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LAUNCH_ARGS, login  # noqa: F401  (LAUNCH_ARGS: same browser)
from tests.issues.factories import IssueFactory
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory, ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def phone(browser_instance):
    context = browser_instance.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def test_header_folds_tables_stack_and_nothing_scrolls_sideways_at_320(phone, live_server):
    user = UserFactory(username="phone_coord", role="coordinator", ward=ward("13101"))
    IssueFactory.create_batch(3, ward=ward("13101"), status="open")
    login(phone, live_server, user.username, DEFAULT_PASSWORD)
    phone.wait_for_url(f"{live_server.url}/dashboard/")

    phone.goto(f"{live_server.url}/issues/")
    header = phone.locator("header.site-header").bounding_box()
    assert header["height"] < 844 * 0.2, header  # was 45 % of the first screen
    toggle = phone.get_by_role("button", name="メニュー")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.locator("nav.site-nav").is_visible()
    toggle.click()
    assert phone.locator("nav.site-nav").is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"

    # Each triage cell says which column it is, as a labelled row.
    first_row = phone.locator("tr.triage-row").first
    assert first_row.locator("td[data-label='区']").count() == 1

    for path in ["/issues/", "/partners/registry/", "/matching/events/", "/evaluation/"]:
        phone.set_viewport_size({"width": 320, "height": 640})
        phone.goto(live_server.url + path)
        assert phone.evaluate(SIDEWAYS) <= 0, path


def test_an_inline_change_is_announced_by_the_one_persistent_region(phone, live_server):
    user = UserFactory(username="phone_live", role="coordinator", ward=ward("13101"))
    issue = IssueFactory(ward=ward("13101"), status="open", urgency=3)
    login(phone, live_server, user.username, DEFAULT_PASSWORD)
    phone.wait_for_url(f"{live_server.url}/dashboard/")
    phone.goto(f"{live_server.url}/issues/")
    region = phone.locator("#live-status")
    assert region.text_content() == ""
    phone.evaluate("document.getElementById('live-status').dataset.original = '1'")

    phone.locator(f"#u-{issue.pk}").select_option("5")
    region_text = phone.wait_for_function(
        "() => document.getElementById('live-status').textContent.trim()"
    ).json_value()
    assert region_text  # the row's notice, said once
    # The same element as before the change: a region replaced by the swap would not be said.
    assert phone.evaluate("document.getElementById('live-status').dataset.original") == "1"
    # No region arrives inside the swapped results any more (it would arrive already filled).
    assert phone.locator("#triage-results [aria-live]").count() == 0
