"""A proposal answered after its issue was withdrawn does not bring the issue back (#15 kind 8)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from issues.models import IssueStatus
from matching.models import Decision, Proposal
from matching.projects.models import Project
from matching.proposals.services import proposal_create, proposal_respond
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("closed", [IssueStatus.WITHDRAWN, IssueStatus.RESOLVED])
def test_accepting_after_the_issue_closed_is_refused_and_changes_nothing(org_a, partner_a, closed):
    issue = IssueFactory(status=IssueStatus.OPEN)
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    proposal = proposal_create(decision=decision, created_by=None)
    issue.status = closed
    issue.save(update_fields=["status"])

    with pytest.raises(ValidationError, match="連携事業を始められません"):
        proposal_respond(proposal=proposal, user=partner_a, accept=True)

    proposal.refresh_from_db()
    issue.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT
    assert issue.status == closed
    assert not Project.objects.exists()


def test_accepting_on_an_open_issue_still_starts_the_project(org_a, partner_a):
    issue = IssueFactory(status=IssueStatus.OPEN)
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    proposal = proposal_create(decision=decision, created_by=None)
    proposal_respond(proposal=proposal, user=partner_a, accept=True)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.COLLABORATING and Project.objects.count() == 1
