"""An HTML/JS payload stored in the free-text fields staff and partners fill is shown inert."""

import pytest
from django.urls import reverse

from matching.runs.services import matching_refresh_issue
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory, ResourceFactory

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def world(db, coordinator, partner_a):
    organization = partner_a.membership.organization
    organization.name = f"株式会社{PAYLOAD}"
    organization.csr_policy = PAYLOAD
    organization.save()
    issue = IssueFactory(
        title=f"高齢者の見守り{PAYLOAD}",
        description=f"一人暮らし高齢者の見守り {PAYLOAD}",
        internal_note=PAYLOAD,
        area=PAYLOAD,
    )
    resource = ResourceFactory(
        organization=organization,
        title=f"高齢者見守りボランティア{PAYLOAD}",
        description=f"高齢者の見守りを行います {PAYLOAD}",
        conditions=PAYLOAD,
    )
    OrganizationFactory(name="城北大学")
    matching_refresh_issue(issue_id=issue.pk)
    project = ProjectFactory(title=f"見守り事業{PAYLOAD}", summary=PAYLOAD, ward=issue.ward)
    project.issues.add(issue)
    project.organizations.add(organization)
    return {"issue": issue, "resource": resource, "organization": organization, "project": project}


def _assert_inert(response, url):
    assert response.status_code == 200, url
    body = response.content.decode()
    assert PAYLOAD not in body, f"raw payload rendered on {url}"
    assert "<script>alert" not in body, f"script tag rendered on {url}"
    assert "onerror=alert" not in body.replace("onerror=alert(1)&gt;", ""), url


def test_payload_is_inert_on_every_staff_page_that_shows_it(client, coordinator, world):
    client.force_login(coordinator)
    issue, organization, project = world["issue"], world["organization"], world["project"]
    urls = [
        reverse("issues:triage"),
        reverse("issues:detail", args=[issue.pk]),
        reverse("matching:home"),
        reverse("matching:issue_review", args=[issue.pk]),
        reverse("partners:registry"),
        reverse("partners:org_detail", args=[organization.pk]),
        reverse("evaluation:projects"),
        reverse("evaluation:project_detail", args=[project.pk]),
    ]
    for url in urls:
        _assert_inert(client.get(url), url)
    escaped = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in escaped


def test_payload_is_inert_on_partner_and_public_pages(client, partner_a, world):
    client.force_login(partner_a)
    for url in [
        reverse("partners:my_org"),
        reverse("partners:my_resources"),
        reverse("partners:resource_detail", args=[world["resource"].pk]),
        reverse("evaluation:projects"),
    ]:
        _assert_inert(client.get(url), url)
    client.logout()
    world["issue"].status = "open"
    world["issue"].save()
    for url in [reverse("issues:public"), reverse("evaluation:public")]:
        _assert_inert(client.get(url), url)
