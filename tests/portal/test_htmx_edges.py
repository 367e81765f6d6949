"""HTMX at the edges: an expired session, the back button (history restore)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.issues.factories import IssueFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_htmx_change_after_the_session_ended_goes_to_login_and_back_to_the_page(client):
    issue = IssueFactory()
    page = "/issues/?ward=13101"
    response = client.post(
        reverse("issues:change", args=[issue.pk, "status"]),
        {"status": "open", "version": issue.version},
        **HTMX,
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/issues/%3Fward%3D13101"
    login = client.get(response["HX-Redirect"]).content.decode()
    assert "変更は保存されていません" in login
    issue.refresh_from_db()
    assert issue.version == 1  # nothing was saved


def test_three_changes_after_the_session_ended_say_so_once_on_the_login_page(client):
    # Issue #15, fifth probe: the login page showed the message three times.
    issue = IssueFactory()
    for _ in range(3):
        response = client.post(
            reverse("issues:change", args=[issue.pk, "status"]),
            {"status": "open", "version": issue.version},
            **HTMX,
            HTTP_HX_CURRENT_URL="http://testserver/issues/",
        )
    login = client.get(response["HX-Redirect"]).content.decode()
    assert login.count("ログインの有効期限が切れたため") == 1
    # Shown once, it is gone; the next expired change says it again.
    assert (
        "ログインの有効期限が切れたため" not in client.get(reverse("portal:login")).content.decode()
    )
    client.post(reverse("issues:change", args=[issue.pk, "status"]), {"status": "open"}, **HTMX)
    assert "ログインの有効期限が切れたため" in client.get(reverse("portal:login")).content.decode()


def test_a_plain_post_after_the_session_ended_returns_to_the_page_not_the_post_url(client):
    issue = IssueFactory()
    response = client.post(
        reverse("issues:change", args=[issue.pk, "status"]),
        {"status": "open"},
        HTTP_REFERER=f"http://testserver/issues/{issue.pk}/",
    )
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/issues/{issue.pk}/"


def test_the_back_button_gets_the_whole_page_not_the_fragment(client, coordinator):
    client.force_login(coordinator)
    fragment = client.get(reverse("issues:triage"), **HTMX).content.decode()
    assert "<html" not in fragment  # an ordinary htmx request gets its fragment
    restored = client.get(
        reverse("issues:triage"), **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    ).content.decode()
    assert "<html" in restored
    assert 'class="site-nav"' in restored
