"""Self-service password reset: no enumeration, an absolute single-use link, throttled."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("portal:password_reset")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://renkei.example.city.tokyo.jp"


def _ask(client, capture, email: str):
    with capture(execute=True):
        return client.post(RESET, {"email": email})


def test_login_page_links_to_the_reset(client):
    assert RESET in client.get(reverse("portal:login")).content.decode()


def test_known_and_unknown_addresses_get_the_same_answer(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="hanako", email="hanako@minato.example.jp", role="partner")
    known = _ask(client, django_capture_on_commit_callbacks, "hanako@minato.example.jp")
    unknown = _ask(client, django_capture_on_commit_callbacks, "nobody@minato.example.jp")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("portal:password_reset_done")
    assert [message.to for message in mail.outbox] == [["hanako@minato.example.jp"]]


def test_the_mailed_link_is_absolute_single_use_and_sets_the_password(
    client, django_capture_on_commit_callbacks
):
    # A partner who never set a password (lost the registration mail) can still get in.
    user = UserFactory(username="hanako", email="hanako@minato.example.jp", role="partner")
    user.set_unusable_password()
    user.save()
    _ask(
        client,
        django_capture_on_commit_callbacks,
        "ＨＡＮＡＫＯ＠ｍｉｎａｔｏ．ｅｘａｍｐｌｅ．ｊｐ",
    )
    body = mail.outbox[0].body
    link = re.search(r"https://renkei\.example\.city\.tokyo\.jp(/password/reset/\S+/)", body)
    assert link, body
    assert "ログインID: hanako" in body and mail.outbox[0].subject.endswith("パスワードの再設定")

    form_page = client.get(link.group(1), follow=True)
    assert "新しいパスワードの設定" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Shiba-Kouen-2026!", "new_password2": "Shiba-Kouen-2026!"},
    )
    assert done["Location"] == reverse("portal:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Shiba-Kouen-2026!")
    again = client.get(link.group(1), follow=True).content.decode()
    assert "既に使われています" in again


def test_one_address_gets_at_most_three_mails_an_hour_without_the_page_changing(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="hanako", email="hanako@minato.example.jp", role="partner")
    for _ in range(5):
        response = _ask(client, django_capture_on_commit_callbacks, "hanako@minato.example.jp")
        assert response.status_code == 302
    assert len(mail.outbox) == 3


def test_one_client_is_refused_after_ten_requests_with_the_time_to_retry(
    client, django_capture_on_commit_callbacks
):
    for n in range(10):
        assert (
            _ask(client, django_capture_on_commit_callbacks, f"x{n}@example.jp").status_code == 302
        )
    refused = _ask(client, django_capture_on_commit_callbacks, "x11@example.jp")
    assert refused.status_code == 429
    assert re.search(r"\d{1,2}:\d{2} 以降にもう一度", refused.content.decode())


def test_inactive_accounts_get_no_mail(client, django_capture_on_commit_callbacks):
    UserFactory(username="gone", email="gone@example.jp", is_active=False)
    _ask(client, django_capture_on_commit_callbacks, "gone@example.jp")
    assert mail.outbox == []
