import pytest

from tests.browser.conftest import login
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory, ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize(
    "role,ward_code,role_label",
    [
        ("coordinator", "13101", "地域連携コーディネーター"),
        ("approver", "13112", "承認者（担当課職員）"),
        ("evaluator", None, "評価担当"),
        ("admin", None, "管理者"),
        ("partner", None, "企業・大学の担当者"),
    ],
)
def test_each_role_logs_in_and_sees_its_dashboard(page, live_server, role, ward_code, role_label):
    user = UserFactory(
        username=f"browser_{role}", role=role, ward=ward(ward_code) if ward_code else None
    )
    login(page, live_server, user.username, DEFAULT_PASSWORD)
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.get_by_role("heading", name="ダッシュボード", level=1).is_visible()
    assert role_label in page.locator("header").inner_text()
    # The CSP allows the vendored htmx to load and run.
    assert page.evaluate("typeof window.htmx") == "object"
