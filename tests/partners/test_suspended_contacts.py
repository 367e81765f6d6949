"""A member of a suspended organisation cannot change its contacts (#15 kind 4: every write path
checks what the screens check)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partners.models import ContactPerson, OrgStatus
from tests.partners.factories import ContactPersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [OrgStatus.SUSPENDED, OrgStatus.REJECTED])
def test_a_stopped_organisation_cannot_add_or_delete_contacts(client, org_a, partner_a, status):
    kept = ContactPersonFactory(organization=org_a)
    ContactPersonFactory(organization=org_a)
    org_a.status = status
    org_a.save(update_fields=["status"])
    before = ContactPerson.objects.count()
    client.force_login(partner_a)

    response = client.post(
        reverse("partners:contact_create"),
        {"name": "再登録 太郎", "role": "", "email": "taro@example.jp", "phone": ""},
    )
    assert "担当者を変更できません" in response.content.decode()
    client.post(reverse("partners:contact_delete", args=[kept.pk]))
    assert ContactPerson.objects.count() == before


def test_a_registration_under_review_may_still_correct_its_contacts(client, org_a, partner_a):
    org_a.status = OrgStatus.CHANGES_REQUESTED
    org_a.save(update_fields=["status"])
    client.force_login(partner_a)
    response = client.post(
        reverse("partners:contact_create"),
        {"name": "訂正 花子", "role": "", "email": "hanako@example.jp", "phone": ""},
    )
    assert response.status_code == 302
    assert ContactPerson.objects.filter(name="訂正 花子").exists()
