"""Rows, not routes: each write path asks the object permission the screen asks
(portal/permissions.py and each app's permissions.py, django-rules)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from matching.models import Decision, Proposal
from matching.projects.models import Project
from matching.proposals.services import proposal_create
from partners.models import OrgStatus
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import ResourceFactory
from tests.portal.factories import UserFactory, ward

pytestmark = pytest.mark.django_db


def _proposal(org) -> Proposal:
    decision = Decision.objects.create(
        issue=IssueFactory(ward=ward("13101")),
        resource=ResourceFactory(organization=org),
        verdict="approved",
    )
    return proposal_create(decision=decision, created_by=None)


def test_a_member_of_a_suspended_organisation_cannot_accept_a_proposal(client, org_a, partner_a):
    proposal = _proposal(org_a)
    org_a.status = OrgStatus.SUSPENDED
    org_a.save(update_fields=["status"])
    client.force_login(partner_a)
    url = reverse("matching:partner_proposal", args=[proposal.pk])
    page = client.get(url).content.decode()
    assert "団体の利用が停止されているため、この提案には回答できません。" in page
    assert 'name="answer"' not in page
    response = client.post(url, {"answer": "accept"})
    assert response.status_code in (403, 404)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT
    assert not Project.objects.exists()


def test_a_member_of_an_approved_organisation_still_can(client, org_a, partner_a):
    proposal = _proposal(org_a)
    assert partner_a.has_perm("matching.answer_proposal", proposal)


def test_another_wards_coordinator_cannot_close_a_project_through_its_continuation(
    client, coordinator_other_ward
):
    project = ProjectFactory(
        ward=ward("13101"), start_date=datetime.date(2024, 4, 1), status=Project.Status.PILOT
    )
    client.force_login(coordinator_other_ward)
    response = client.post(
        reverse("evaluation:continuation_add", args=[project.pk]), {"years": 1, "state": "ended"}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.status == Project.Status.PILOT
    assert not project.continuations.exists()


def test_the_wards_own_coordinator_can(client, coordinator):
    project = ProjectFactory(ward=ward("13101"), start_date=datetime.date(2024, 4, 1))
    assert coordinator.has_perm("evaluation.record_continuation", project)


def test_the_approvals_link_follows_the_permission(client, coordinator):
    approver = UserFactory(username="appr", role="approver", ward=ward("13101"))
    client.force_login(coordinator)
    assert (
        reverse("matching:approvals") not in client.get(reverse("matching:home")).content.decode()
    )
    client.force_login(approver)
    assert reverse("matching:approvals") in client.get(reverse("matching:home")).content.decode()
