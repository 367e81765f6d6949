"""The access log a ward's information-security policy asks for: logins, refusals, and every
view or export of personal data — in the portal's screens and in the Django admin alike."""

import csv
import io

import pytest
from django.urls import reverse

from portal.models import AccessLog
from portal.tabular import FORMULA_TRIGGERS
from tests.issues.factories import IssueFactory
from tests.partners.factories import ContactPersonFactory, ResourceFactory


def _kinds(**filters) -> list[tuple[str, str]]:
    return list(AccessLog.objects.filter(**filters).values_list("kind", "detail"))


def test_another_organisations_record_is_refused_as_404_and_logged(client, partner_a, org_b):
    theirs = ResourceFactory(organization=org_b)
    client.force_login(partner_a)

    response = client.get(reverse("partners:resource_detail", args=[theirs.pk]))

    assert response.status_code == 404
    refusal = AccessLog.objects.get(kind=AccessLog.Kind.DENIED, user=partner_a)
    assert refusal.path == reverse("partners:resource_detail", args=[theirs.pk])
    assert refusal.detail.startswith("404")


def test_a_role_refusal_and_an_anonymous_refusal_are_logged(client, partner_a):
    client.get(reverse("issues:triage"))
    client.force_login(partner_a)
    client.get(reverse("issues:triage"))
    assert sorted(_kinds(kind=AccessLog.Kind.DENIED)) == [
        ("denied", "anonymous"),
        ("denied", "role=partner"),
    ]


def test_contact_details_viewed_in_the_registry_are_logged(client, coordinator, org_a):
    ContactPersonFactory(organization=org_a)
    client.force_login(coordinator)
    client.get(reverse("partners:org_detail", args=[org_a.pk]))
    assert AccessLog.objects.filter(kind=AccessLog.Kind.VIEW_PERSONAL, user=coordinator).exists()


@pytest.mark.parametrize(
    "url_name",
    ["admin:portal_user_changelist", "admin:partners_organization_changelist"],
)
def test_admin_lists_of_people_and_contacts_are_logged(client, admin_user, url_name):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get(reverse(url_name)).status_code == 200
    assert AccessLog.objects.filter(kind=AccessLog.Kind.VIEW_PERSONAL, user=admin_user).exists()


def test_admin_change_page_of_an_organisation_with_contacts_is_logged(client, admin_user, org_a):
    ContactPersonFactory(organization=org_a)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:partners_organization_change", args=[org_a.pk])
    assert client.get(url).status_code == 200
    entry = AccessLog.objects.get(kind=AccessLog.Kind.VIEW_PERSONAL)
    assert entry.detail == f"admin partners.Organization #{org_a.pk}" and entry.path == url


def test_admin_export_is_logged_and_neutralises_formulas(client, admin_user):
    IssueFactory(title='=HYPERLINK("http://evil.example")')
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:issues_issue_export"),
        {"format": "0", "resource": "0", "issueresource_title": "on"},
    )
    assert response.status_code == 200
    assert response.get("Content-Disposition", "").startswith("attachment"), (
        response.context and response.context["form"].errors
    )
    title = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1][0]
    assert "HYPERLINK" in title and not title.startswith(FORMULA_TRIGGERS)
    assert _kinds(kind=AccessLog.Kind.EXPORT) == [("export", "admin issues.Issue rows=1")]
