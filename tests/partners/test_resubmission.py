"""A registration the ward answered with 修正依頼: its member reads the reason, corrects it with
the sign-up's checks and resubmits it; the reviewers hear of it and the history keeps it."""

import pytest
from django.core import mail
from django.urls import reverse

from partners.models import Organization, OrgStatus
from portal.models import Notification
from tests.partners.factories import (
    ContactPersonFactory,
    OrganizationFactory,
    ResourceFactory,
    partner_user,
)
from tests.partners.test_self_service import resource_data

REASON = "法人番号が登記と一致しません。確認のうえ修正してください"


@pytest.fixture
def asked(db):
    org = OrganizationFactory(
        name="株式会社みなとテック",
        corporate_number="1180301018771",
        status=OrgStatus.CHANGES_REQUESTED,
        review_note=REASON,
    )
    return org, partner_user(org, "minato")


def form_data(org: Organization, **overrides) -> dict:
    data = {
        "name": org.name,
        "org_type": org.org_type,
        "size": "sme",
        "corporate_number": org.corporate_number,
        "postal_code": "105-0011",
        "address": "東京都港区芝公園",
        "website": "",
        "csr_policy": "",
        "research_fields": "",
        "past_collaborations": "",
        "serves_all_wards": "on",
        "version": org.version,
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_member_reads_the_request_corrects_and_resubmits(
    client, asked, approver, django_capture_on_commit_callbacks
):
    org, member = asked
    client.force_login(member)
    status_page = client.get(reverse("partners:my_org")).content.decode()
    revise_url = reverse("partners:my_registration", args=[org.pk])
    assert revise_url in status_page
    # The profile page no longer sends the member away: it is the correction form.
    for url in (reverse("partners:my_profile"), revise_url):
        page = client.get(url)
        assert page.status_code == 200
        assert REASON in page.content.decode()
        assert 'name="corporate_number"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            revise_url,
            form_data(org, name="株式会社みなとテクノロジー", corporate_number="9180301018772"),
        )
        assert mail.outbox == []  # the reviewers' mail leaves after commit
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == OrgStatus.PENDING
    assert org.name == "株式会社みなとテクノロジー" and org.corporate_number == "9180301018772"
    notice = Notification.objects.get(recipient=approver)
    assert "株式会社みなとテクノロジー" in notice.message
    assert [m.to for m in mail.outbox] == [[approver.email]]
    last = org.history.order_by("-history_date").first()
    assert last.history_user == member and last.status == OrgStatus.PENDING
    assert last.history_change_reason == "registration resubmitted"


@pytest.mark.django_db
def test_bad_input_says_why_and_changes_nothing(client, asked, approver):
    org, member = asked
    client.force_login(member)
    response = client.post(
        reverse("partners:my_registration", args=[org.pk]),
        form_data(org, corporate_number="1234567890123", name="別名"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "登録内容は変更されていません" in page
    assert "法人番号" in page
    org.refresh_from_db()
    assert (org.status, org.name, org.corporate_number) == (
        OrgStatus.CHANGES_REQUESTED,
        "株式会社みなとテック",
        "1180301018771",
    )
    assert not Notification.objects.filter(recipient=approver).exists()


@pytest.mark.django_db
def test_company_must_keep_a_corporate_number(client, asked):
    org, member = asked
    client.force_login(member)
    response = client.post(
        reverse("partners:my_registration", args=[org.pk]), form_data(org, corporate_number="")
    )
    assert response.status_code == 400
    org.refresh_from_db()
    assert org.status == OrgStatus.CHANGES_REQUESTED and org.corporate_number == "1180301018771"


@pytest.mark.django_db
def test_another_organisations_registration_answers_404(client, asked, partner_b):
    org, _member = asked
    client.force_login(partner_b)
    url = reverse("partners:my_registration", args=[org.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(org, name="乗っ取り")).status_code == 404
    org.refresh_from_db()
    assert org.name == "株式会社みなとテック" and org.status == OrgStatus.CHANGES_REQUESTED


@pytest.mark.django_db
def test_a_registration_not_asked_to_change_cannot_be_resubmitted(client, asked):
    org, member = asked
    org.status = OrgStatus.PENDING
    org.save()
    client.force_login(member)
    response = client.post(reverse("partners:my_registration", args=[org.pk]), form_data(org))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == OrgStatus.PENDING and org.history.count() == 2  # no new save


@pytest.mark.django_db
def test_a_number_another_organisation_holds_tells_its_contacts(
    client, asked, django_capture_on_commit_callbacks
):
    org, member = asked
    holder = OrganizationFactory(name="株式会社ほんもの", corporate_number="9180301018772")
    contact = ContactPersonFactory(organization=holder, name="本物 花子")
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("partners:my_registration", args=[org.pk]),
            form_data(org, corporate_number="9180301018772"),
        )
    told = [m for m in mail.outbox if m.to == [contact.email]]
    assert len(told) == 1 and "本物 花子 様" in told[0].body


@pytest.mark.django_db
def test_resources_can_be_corrected_while_the_ward_asks_for_changes(client, asked):
    """#13: a 修正依頼 about a resource could not be met — the resource screens were locked
    until approval, while the ward waited for the correction."""
    org, member = asked
    resource = ResourceFactory(organization=org, title="見守り訪問", capacity=3)
    client.force_login(member)
    revise_page = client.get(reverse("partners:my_registration", args=[org.pk])).content.decode()
    assert reverse("partners:my_resources") in revise_page
    detail = client.get(reverse("partners:resource_detail", args=[resource.pk])).content.decode()
    assert reverse("partners:resource_edit", args=[resource.pk]) in detail
    edited = client.post(
        reverse("partners:resource_edit", args=[resource.pk]),
        resource_data(title="高齢者宅への見守り訪問（月2回）", version=resource.version),
    )
    assert edited.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "高齢者宅への見守り訪問（月2回）"
    assert resource.history.first().history_user == member
    added = client.post(reverse("partners:resource_create"), resource_data())
    assert added.status_code == 302
    assert org.resources.count() == 2
    org.refresh_from_db()
    assert org.status == OrgStatus.CHANGES_REQUESTED  # resubmitting stays the member's step
