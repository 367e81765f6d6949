"""Every matching screen renders for the roles that may see it, and refuses the others."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

STAFF_SCREENS = [
    "matching:home",
    "matching:engine_status",
    "matching:fairness",
    "matching:proposals",
]


@pytest.mark.parametrize("name", STAFF_SCREENS)
def test_staff_screens_render_on_an_empty_database(client, evaluator, partner_a, name):
    client.force_login(evaluator)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()
    client.force_login(partner_a)
    assert client.get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_approvals_is_for_approvers(client, approver, coordinator):
    client.force_login(approver)
    assert client.get(reverse("matching:approvals")).status_code == 200
    client.force_login(coordinator)
    assert client.get(reverse("matching:approvals")).status_code == 403


def test_partner_screens_are_for_partners(client, partner_a, coordinator):
    client.force_login(partner_a)
    assert client.get(reverse("matching:partner_proposals")).status_code == 200
    client.force_login(coordinator)
    assert client.get(reverse("matching:partner_proposals")).status_code == 403


def test_menu_entries(client, coordinator, partner_a):
    client.force_login(coordinator)
    assert reverse("matching:home") in client.get(reverse("portal:dashboard")).content.decode()
    client.force_login(partner_a)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("matching:partner_proposals") in page
