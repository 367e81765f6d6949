"""A partner answers a proposal: not after its issue was withdrawn (#15 kind 8), and the ward
hears of the answer (#13)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from issues.models import IssueStatus
from matching.models import Decision, Proposal
from matching.projects.models import Project
from matching.proposals.services import proposal_create, proposal_respond
from portal.models import Notification
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


def test_the_ward_hears_by_mail_when_the_partner_answers_unless_it_chose_not_to(
    org_a, partner_a, coordinator, approver, django_capture_on_commit_callbacks
):
    # The coordinator keeps 連携の提案と回答 by mail (the default); the approver turned it off.
    approver.mail_muted = ["proposal"]
    approver.save(update_fields=["mail_muted"])
    issue = IssueFactory(status=IssueStatus.OPEN, coordinator=coordinator)
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    proposal = proposal_create(decision=decision, created_by=approver)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        proposal_respond(proposal=proposal, user=partner_a, accept=False, reason="人手が足りない")
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "提案が辞退されました" in mail.outbox[0].subject
    assert Notification.objects.filter(recipient=approver, message__contains="辞退").exists()
