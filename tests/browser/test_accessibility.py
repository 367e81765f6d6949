"""axe-core over every page each role reaches from its menu, plus the public pages."""

import pytest

from tests.browser.axe import axe_violations
from tests.browser.conftest import login
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory, ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _menu_links(page) -> list[str]:
    return page.eval_on_selector_all(
        "nav.site-nav a", "links => links.map(a => a.getAttribute('href'))"
    )


def _assert_accessible(page, url: str, failures: dict) -> None:
    page.goto(url)
    violations = axe_violations(page)
    if violations:
        failures[url] = violations


def test_public_pages_have_no_serious_violations(page, live_server):
    failures: dict = {}
    for path in ["/", "/login/"]:
        _assert_accessible(page, live_server.url + path, failures)
    page.goto(live_server.url + "/")
    for href in _menu_links(page):
        _assert_accessible(page, live_server.url + href, failures)
    assert failures == {}


@pytest.mark.parametrize("role", ["coordinator", "approver", "evaluator", "admin"])
def test_every_menu_page_of_a_staff_role_has_no_serious_violations(page, live_server, role):
    user = UserFactory(username=f"axe_{role}", role=role, ward=ward("13101"))
    login(page, live_server, user.username, DEFAULT_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    failures: dict = {}
    _assert_accessible(page, live_server.url + "/dashboard/", failures)
    for href in _menu_links(page):
        _assert_accessible(page, live_server.url + href, failures)
    assert failures == {}


def test_english_ui_has_no_serious_violations(page, live_server):
    user = UserFactory(username="axe_en", role="coordinator", ward=ward("13101"))
    login(page, live_server, user.username, DEFAULT_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    failures: dict = {}
    _assert_accessible(page, live_server.url + "/dashboard/", failures)
    assert failures == {}
