"""HTML or script typed into any field is shown as text on every page that shows it."""

import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from partners.models import OrgStatus
from portal.registry import cards_for
from tests.partners.factories import (
    ContactPersonFactory,
    OrganizationFactory,
    ResourceFactory,
    partner_user,
)

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_inert(html: str):
    assert EVIL not in html
    assert ESCAPED in html


@pytest.mark.django_db
def test_script_in_names_is_escaped_everywhere(client, coordinator):
    org = OrganizationFactory(
        name=EVIL,
        status=OrgStatus.PENDING,
        csr_policy=EVIL,
        review_note=EVIL,
        website="https://example.jp/?q=<b>",
    )
    resource = ResourceFactory(organization=org, title=EVIL, description=EVIL, conditions=EVIL)
    ContactPersonFactory(organization=org, name=EVIL, role=EVIL)
    user = partner_user(org, "evil_partner")
    client.force_login(coordinator)
    for url in (
        reverse("partners:registry"),
        reverse("partners:pending"),
        reverse("partners:org_detail", args=[org.pk]),
        reverse("partners:org_edit", args=[org.pk]),
    ):
        assert_inert(client.get(url).content.decode())
    assert_inert(
        client.get(reverse("partners:registry"), headers={"HX-Request": "true"}).content.decode()
    )
    card = {c.key: c for c in cards_for("partner")}["partners.my_org"]
    assert_inert(render_to_string(card.template, {"ctx": card.context(user), "user": user}))
    org.status = OrgStatus.APPROVED
    org.save()
    client.force_login(user)
    for url in (
        reverse("partners:my_org"),
        reverse("partners:my_resources"),
        reverse("partners:my_profile"),
        reverse("partners:resource_detail", args=[resource.pk]),
        reverse("partners:resource_edit", args=[resource.pk]),
    ):
        assert_inert(client.get(url).content.decode())


@pytest.mark.django_db
def test_script_in_registration_and_import_preview(client, coordinator):
    from tests.partners.test_registration import form_data

    response = client.post(
        reverse("partners:register"), form_data(name=EVIL, corporate_number="", org_type="npo")
    )
    assert response.status_code == 302
    assert_inert(client.get(response["Location"]).content.decode())
    client.force_login(coordinator)
    upload = io.BytesIO(
        f"ref,organization,org_type,kind,title,description,wards\r\nX-1,{EVIL},npo,people,{EVIL},{EVIL},\r\n".encode()
    )
    upload.name = "x.csv"
    assert_inert(client.post(reverse("partners:import"), {"file": upload}).content.decode())
