"""One login, one throttle, one log (issue #15 item 5): the portal's and the admin's login share
django-axes' database-backed count, keyed on the folded username and the client address, and
every failure, lockout and refusal is in the access log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.utils import timezone

from portal.client import client_ip
from portal.models import AccessLog
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = "/login/"
ADMIN_LOGIN = "/admin/login/"


def _post(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.fixture
def coordinator3(db):
    return UserFactory(username="coordinator3", role="coordinator")


def test_spellings_that_sign_in_to_one_account_share_its_throttle(client, coordinator3):
    # Django signs every one of these in as coordinator3 (NFKC); the throttle counts them as one.
    for spelling in [
        "coordinator3",
        "ｃoordinator3",
        "ⓒoordinator3",
        "𝐜oordinator3",
        "Coordinator3",
    ]:
        _post(client, LOGIN, spelling, "wrong-password")

    refused = _post(client, LOGIN, "coordinator3", DEFAULT_PASSWORD)

    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().username == "coordinator3"


def test_admin_login_is_throttled_and_logged_like_the_portal_login(client, admin_user):
    for _ in range(5):
        _post(client, ADMIN_LOGIN, "admin", "wrong-password")

    refused = _post(client, ADMIN_LOGIN, "admin", DEFAULT_PASSWORD)

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "しばらく受け付けません" in page
    # The way out is the self-service reset (#13 item 7) and back to the form that was used.
    assert 'href="/password/reset/"' in page and f'href="{ADMIN_LOGIN}"' in page
    assert "管理者にお問い合わせ" not in page
    assert "_auth_user_id" not in client.session
    entries = AccessLog.objects.filter(path__startswith=ADMIN_LOGIN)
    assert entries.filter(kind=AccessLog.Kind.LOGIN_FAILED, username="admin").count() == 5
    assert entries.filter(kind=AccessLog.Kind.LOGIN_LOCKOUT, username="admin").count() == 1
    assert entries.filter(kind=AccessLog.Kind.LOGIN_THROTTLED, username="admin").count() == 1
    # One count for both forms: the portal's login refuses the same account too.
    assert _post(client, LOGIN, "admin", DEFAULT_PASSWORD).status_code == 429


def test_admin_sign_in_is_logged(client, admin_user):
    response = _post(client, ADMIN_LOGIN + "?next=/admin/", "admin", DEFAULT_PASSWORD)
    assert response.status_code == 302
    entry = AccessLog.objects.get(kind=AccessLog.Kind.LOGIN)
    assert entry.user == admin_user and entry.path.startswith(ADMIN_LOGIN)


def test_the_count_lives_in_the_database_not_in_a_process_cache(client, coordinator3, settings):
    # No cache at all (as with another gunicorn worker's empty memory): the count still holds.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    for _ in range(4):
        assert _post(client, LOGIN, "coordinator3", "wrong-password").status_code == 200
    assert AccessAttempt.objects.get(username="coordinator3").failures_since_start == 4
    assert _post(client, LOGIN, "coordinator3", "wrong-password").status_code == 429
    assert _post(client, LOGIN, "coordinator3", DEFAULT_PASSWORD).status_code == 429


def test_the_429_page_says_when_to_try_again_and_the_window_then_opens(client, coordinator3):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            locked = _post(client, LOGIN, "coordinator3", "wrong-password")
    assert locked.status_code == 429
    retry_at = timezone.localtime(start + dt.timedelta(minutes=1)).strftime("%H:%M:%S")
    assert f"{retry_at} 以降にもう一度お試しください" in locked.content.decode()
    assert locked["Retry-After"] == "60"

    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        # Refused attempts do not push the time on the page further.
        assert _post(client, LOGIN, "coordinator3", DEFAULT_PASSWORD)["Retry-After"] == "30"
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert _post(client, LOGIN, "coordinator3", DEFAULT_PASSWORD).status_code == 302


def test_another_address_is_not_locked_out_by_a_strangers_failures(client, coordinator3):
    for _ in range(5):
        _post(client, LOGIN, "coordinator3", "wrong-password", REMOTE_ADDR="198.51.100.9")
    assert _post(client, LOGIN, "coordinator3", DEFAULT_PASSWORD).status_code == 302


# --- the client address behind the TLS proxy --------------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post(LOGIN, REMOTE_ADDR=remote, **extra)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.7", "6.6.6.6")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_client_sent(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    # A proxy that sent no (or a broken) header: everyone shares the proxy's count.
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_a_client_cannot_escape_the_throttle_by_forging_forwarded_for(
    client, coordinator3, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        _post(
            client,
            LOGIN,
            "coordinator3",
            "wrong-password",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7",
        )
    refused = _post(
        client,
        LOGIN,
        "coordinator3",
        DEFAULT_PASSWORD,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7",
    )
    assert refused.status_code == 429
    assert AccessLog.objects.filter(kind=AccessLog.Kind.LOGIN_THROTTLED).get().ip_address == (
        "203.0.113.7"
    )
