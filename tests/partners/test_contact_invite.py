"""Staff invite an organisation's contact to become a member: a one-time, expiring link."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from partners.models import ContactLink, Membership
from portal.models import AccessLog
from tests.partners.factories import ContactPersonFactory, OrganizationFactory, partner_user

pytestmark = pytest.mark.django_db

JOIN = re.compile(r"https?://\S+/partners/join/[\w-]+/")
ACCOUNT = {
    "username": "tanaka",
    "password1": "Minato-Tech-2026!",
    "password2": "Minato-Tech-2026!",
    "action": "join",
}


@pytest.fixture
def invited(client, coordinator, django_capture_on_commit_callbacks):
    org = OrganizationFactory(name="株式会社みなとテック")
    contact = ContactPersonFactory(
        organization=org, name="田中 一郎", email="tanaka@minato.example.jp"
    )
    client.force_login(coordinator)
    page = client.get(reverse("partners:org_detail", args=[org.pk])).content.decode()
    assert "利用者として招待する" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partners:contact_invite", args=[org.pk, contact.pk]))
    assert response.status_code == 302
    client.logout()
    (message,) = mail.outbox
    assert message.to == ["tanaka@minato.example.jp"]
    return org, JOIN.search(message.body).group(0)


def test_the_contact_creates_a_member_account_and_is_signed_in(client, invited):
    org, link = invited
    assert "株式会社みなとテック" in client.get(link).content.decode()
    response = client.post(link, ACCOUNT)
    assert response.status_code == 302 and response["Location"] == reverse("partners:my_org")
    member = Membership.objects.select_related("user").get(organization=org).user
    assert (member.username, member.email, member.role) == (
        "tanaka",
        "tanaka@minato.example.jp",
        "partner",
    )
    assert member.check_password("Minato-Tech-2026!")
    assert client.get(reverse("partners:my_org")).status_code == 200


def test_a_login_id_typed_in_full_width_signs_in_as_typed_at_the_login_page(client, invited):
    _org, link = invited
    response = client.post(link, {**ACCOUNT, "username": "ｔａｎａｋａ"})
    assert response.status_code == 302
    member = Membership.objects.select_related("user").get().user
    assert member.username == "tanaka"
    client.logout()
    for typed in ("tanaka", "ｔａｎａｋａ"):
        signed_in = client.post(
            reverse("portal:login"), {"username": typed, "password": ACCOUNT["password1"]}
        )
        assert signed_in.status_code == 302, typed
        client.logout()


def test_a_login_id_outside_half_width_letters_and_digits_is_refused(client, invited):
    _org, link = invited
    response = client.post(link, {**ACCOUNT, "username": "佐藤健太"})
    assert response.status_code == 200
    assert "ログインID" in response.content.decode()
    assert not Membership.objects.exists()


def test_the_link_works_once(client, invited):
    org, link = invited
    client.post(link, ACCOUNT)
    client.logout()
    again = client.post(link, {**ACCOUNT, "username": "tanaka2"})
    assert again.status_code == 400
    assert "既に利用者アカウントが作成されています" in again.content.decode()
    assert Membership.objects.filter(organization=org).count() == 1
    assert AccessLog.objects.filter(kind="denied", detail="contact link used").exists()


def test_an_expired_link_is_refused(client, invited):
    _org, link = invited
    ContactLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(link, ACCOUNT)
    assert response.status_code == 400 and "有効期限" in response.content.decode()
    assert not Membership.objects.exists()
    assert AccessLog.objects.filter(kind="denied", detail="contact link expired").exists()


def test_a_signed_in_member_of_another_organisation_cannot_join_through_it(
    client, invited, partner_b
):
    org, link = invited
    client.force_login(partner_b)
    response = client.post(link, ACCOUNT)
    assert response.status_code == 400
    assert not Membership.objects.filter(organization=org).exists()


def test_a_weak_password_is_refused_on_the_form(client, invited):
    _org, link = invited
    response = client.post(link, {**ACCOUNT, "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert not Membership.objects.exists()


def test_a_contact_who_already_has_an_account_is_not_invited(client, coordinator):
    org = OrganizationFactory()
    member = partner_user(org, "already")
    contact = ContactPersonFactory(organization=org, email=member.email)
    client.force_login(coordinator)
    response = client.post(
        reverse("partners:contact_invite", args=[org.pk, contact.pk]), follow=True
    )
    assert "既にあります" in response.content.decode()
    assert not ContactLink.objects.exists()
