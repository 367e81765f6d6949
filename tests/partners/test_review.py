"""Staff review of registrations (approve / changes / reject / suspend) and merging duplicates."""

import pytest
from django.core import mail
from django.urls import reverse

from partners.models import ContactPerson, Membership, Organization, OrgStatus, Resource
from partners.services import organization_merge
from portal.models import Notification
from tests.partners.factories import (
    ContactPersonFactory,
    OrganizationFactory,
    ResourceFactory,
    partner_user,
)


@pytest.fixture
def pending_org(db):
    return OrganizationFactory(name="NPO法人すぎなみ子育てネット", org_type="npo", status="pending")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("changes", OrgStatus.CHANGES_REQUESTED),
        ("reject", OrgStatus.REJECTED),
        ("suspend", OrgStatus.SUSPENDED),
    ],
)
def test_reason_is_required_and_shown_to_the_partner(
    client, approver, pending_org, action, status, django_capture_on_commit_callbacks
):
    member = partner_user(pending_org, "suginami")
    client.force_login(approver)
    url = reverse("partners:org_review", args=[pending_org.pk])
    client.post(url, {"action": action, "reason": ""})
    pending_org.refresh_from_db()
    assert pending_org.status == OrgStatus.PENDING  # nothing changed without a reason
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": action, "reason": "活動実績の分かる資料を添えてください"})
    pending_org.refresh_from_db()
    assert pending_org.status == status
    notice = Notification.objects.get(recipient=member)
    assert "活動実績の分かる資料を添えてください" in notice.message
    assert mail.outbox and mail.outbox[-1].to == [member.email]
    client.force_login(member)
    page = client.get(reverse("partners:my_org")).content.decode()
    assert "活動実績の分かる資料を添えてください" in page
    assert str(status.label) in page


@pytest.mark.django_db
def test_evaluator_and_partner_cannot_review(client, evaluator, partner_a, pending_org):
    url = reverse("partners:org_review", args=[pending_org.pk])
    for user in (evaluator, partner_a):
        client.force_login(user)
        assert client.post(url, {"action": "approve"}).status_code == 403
    pending_org.refresh_from_db()
    assert pending_org.status == OrgStatus.PENDING


@pytest.mark.django_db
def test_staff_edit_checks_corporate_number(client, coordinator, org_a):
    client.force_login(coordinator)
    url = reverse("partners:org_edit", args=[org_a.pk])
    data = {
        "name": org_a.name,
        "org_type": "company",
        "corporate_number": "1180301018772",
        "serves_all_wards": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "チェックディジット" in response.content.decode()
    data["corporate_number"] = "1180301018771"
    assert client.post(url, data).status_code == 302
    org_a.refresh_from_db()
    assert org_a.corporate_number == "1180301018771"


@pytest.mark.django_db
def test_merge_moves_everything_to_the_survivor(client, coordinator, org_a):
    duplicate = OrganizationFactory(
        name="（株）みなとテック", status="pending", corporate_number="1180301018771"
    )
    resources = ResourceFactory.create_batch(2, organization=duplicate)
    contact = ContactPersonFactory(organization=duplicate)
    member = partner_user(duplicate, "dup_member")
    client.force_login(coordinator)
    response = client.post(
        reverse("partners:org_merge", args=[duplicate.pk]), {"survivor": org_a.pk, "confirm": "on"}
    )
    assert response.status_code == 302
    duplicate.refresh_from_db()
    org_a.refresh_from_db()
    assert duplicate.status == OrgStatus.MERGED and duplicate.merged_into == org_a
    assert set(Resource.objects.filter(organization=org_a)) == set(resources)
    assert ContactPerson.objects.get(pk=contact.pk).organization == org_a
    assert Membership.objects.get(user=member).organization == org_a
    assert org_a.corporate_number == "1180301018771"
    # Recorded in the history of both records.
    assert duplicate.history.first().status == OrgStatus.MERGED
    assert duplicate.history.first().history_user == coordinator
    # Merged records leave the registry.
    registry = client.get(reverse("partners:registry")).content.decode()
    assert ">（株）みなとテック</a>" not in registry
    assert ">株式会社みなとテック</a>" in registry


@pytest.mark.django_db
def test_merge_is_all_or_nothing(org_a, admin_user, monkeypatch):
    duplicate = OrganizationFactory(name="重複団体")
    resource = ResourceFactory(organization=duplicate)
    from partners import services

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_repoint_references", boom)
    with pytest.raises(RuntimeError):
        organization_merge(survivor=org_a, duplicate=duplicate, merged_by=admin_user)
    resource.refresh_from_db()
    duplicate.refresh_from_db()
    assert resource.organization == duplicate
    assert duplicate.status == OrgStatus.APPROVED


@pytest.mark.django_db
def test_merge_into_itself_or_a_merged_org_is_refused(org_a, admin_user):
    with pytest.raises(Exception, match="同じ団体"):
        organization_merge(survivor=org_a, duplicate=org_a, merged_by=admin_user)
    gone = OrganizationFactory(status="merged")
    with pytest.raises(Exception, match="統合済み"):
        organization_merge(survivor=gone, duplicate=org_a, merged_by=admin_user)
    assert Organization.objects.get(pk=org_a.pk).status == OrgStatus.APPROVED


@pytest.mark.django_db
def test_dashboard_cards(coordinator, partner_a, pending_org):
    # Rendered the way portal's dashboard renders them (card context + template).
    from django.template.loader import render_to_string

    from portal.registry import cards_for

    cards = {card.key: card for card in cards_for("coordinator")}
    card = cards["partners.pending"]
    html = render_to_string(card.template, {"ctx": card.context(coordinator), "user": coordinator})
    assert "1 <small>件の審査待ち" in html
    cards = {card.key: card for card in cards_for("partner")}
    card = cards["partners.my_org"]
    html = render_to_string(card.template, {"ctx": card.context(partner_a), "user": partner_a})
    assert "株式会社みなとテック" in html and "承認済み" in html


@pytest.mark.django_db
def test_merge_repoints_links_held_by_other_apps(org_a, admin_user):
    # Projects (matching) name their partner organisations; after a merge they name the survivor.
    from tests.matching.factories import ProjectFactory

    duplicate = OrganizationFactory(name="株式会社みなとテック（重複）")
    project = ProjectFactory()
    project.organizations.set([duplicate])
    both = ProjectFactory()
    both.organizations.set([duplicate, org_a])
    organization_merge(survivor=org_a, duplicate=duplicate, merged_by=admin_user)
    assert list(project.organizations.all()) == [org_a]
    assert list(both.organizations.all()) == [org_a]
