import time

import pytest
from django.urls import reverse

from portal.models import AccessLog
from tests.portal.factories import DEFAULT_PASSWORD


def _login(client, username, password):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


def test_login_rotates_session_and_is_logged(client, coordinator):
    client.get(reverse("portal:login"))
    before = client.session.session_key
    response = _login(client, coordinator.username, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    assert client.session.session_key != before
    assert AccessLog.objects.filter(kind="login", user=coordinator).count() == 1


def test_wrong_password_is_refused_and_logged(client, coordinator):
    response = _login(client, coordinator.username, "wrong-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AccessLog.objects.filter(kind="login_failed", username=coordinator.username).exists()


def test_sixth_attempt_within_a_minute_is_throttled_even_with_the_right_password(
    client, coordinator
):
    for _ in range(5):
        _login(client, coordinator.username, "wrong-password")
    response = _login(client, coordinator.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "しばらく受け付けません" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessLog.objects.filter(kind="login_throttled").count() == 1


def test_next_parameter_cannot_redirect_off_site(client, coordinator):
    response = client.post(
        reverse("portal:login") + "?next=https://evil.example/",
        {"username": coordinator.username, "password": DEFAULT_PASSWORD},
    )
    assert response.url == reverse("portal:dashboard")


def test_logout_requires_post(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("portal:logout")).status_code == 405
    assert client.post(reverse("portal:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_idle_session_is_signed_out(client, coordinator, settings):
    settings.SESSION_IDLE_SECONDS = 60
    client.force_login(coordinator)
    session = client.session
    session["last_seen"] = 1  # long ago
    session.save()
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert reverse("portal:login") in response.url


def test_session_older_than_the_absolute_limit_is_signed_out_even_while_active(
    client, coordinator, settings
):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    client.force_login(coordinator)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    session = client.session
    now = int(time.time())
    session["signed_in_at"] = now - 8 * 3600 - 5  # signed in just over 8 hours ago
    session["last_seen"] = now - 10  # and busy ever since
    session.save()

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302 and reverse("portal:login") in response.url
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("language,expected", [("ja", "ダッシュボード"), ("en", "Dashboard")])
def test_ui_language_switches(client, coordinator, language, expected):
    client.force_login(coordinator)
    client.post(reverse("set_language"), {"language": language, "next": "/dashboard/"})
    assert expected in client.get(reverse("portal:dashboard")).content.decode()


def test_a_busy_session_is_saved_at_most_once_a_minute(client, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)
    client.get(reverse("portal:help_centre"))  # records last_seen and the active day
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal:help_centre")).status_code == 200
    assert not [q for q in queries.captured_queries if "UPDATE" in q["sql"]]
    session = client.session
    session["last_seen"] -= 61
    session.save()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("portal:help_centre"))
    assert [q for q in queries.captured_queries if 'UPDATE "django_session"' in q["sql"]]
