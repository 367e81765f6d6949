"""An issue that stops taking proposals closes its open ones and tells the partner (#15 leftover).

Before: a ward proposal stayed 回答待ち and a partner's 審査中 after the issue was withdrawn,
resolved or put on hold; accepting was refused, but nothing closed them or told the partner.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from issues.models import Issue, IssueStatus
from issues.services import issue_project_started, issue_status_change
from matching.models import Decision, Proposal
from matching.offers.services import partner_proposal_submit
from matching.proposals.services import AnswerRefused, proposal_create, proposal_respond
from portal.models import Notification
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals(coordinator, org_a, org_b, partner_a, partner_b):
    """An open issue of 千代田区 with the ward's proposal to org_a (回答待ち) and org_b's own
    proposal (審査中): (issue, ward_proposal, partner_proposal)."""
    issue = IssueFactory(
        status=IssueStatus.OPEN, ward=ward("13101"), coordinator=coordinator, title="見守り"
    )
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    sent = proposal_create(decision=decision, created_by=coordinator)
    submitted = partner_proposal_submit(
        user=partner_b,
        issue=issue,
        data={"resources": [ResourceFactory(organization=org_b)], "message": "訪問します。"},
    )
    return issue, sent, submitted


def _statuses(*proposals: Proposal) -> list[str]:
    return [Proposal.objects.get(pk=p.pk).status for p in proposals]


@pytest.mark.parametrize("closing", [IssueStatus.WITHDRAWN, IssueStatus.ON_HOLD])
def test_closing_the_issue_closes_its_open_proposals_and_tells_both_partners(
    proposals, coordinator, partner_a, partner_b, closing, django_capture_on_commit_callbacks
):
    issue, sent, submitted = proposals
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issue_status_change(issue=issue, status=closing, changed_by=coordinator)

    assert _statuses(sent, submitted) == [Proposal.Status.CLOSED] * 2
    closed = Proposal.objects.get(pk=sent.pk)
    assert closed.closed_by_issue_status == closing and closed.closed_at is not None
    label = IssueStatus(closing).label
    assert closed.closed_reason == f"課題が「{label}」になったため、この提案の受付を終了しました。"
    for partner in (partner_a, partner_b):
        notice = Notification.objects.get(recipient=partner, message__contains="受付を終了")
        assert f"課題が「{label}」になったため、提案の受付を終了しました: 見守り" in notice.message
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partner_a.email, partner_b.email])
    assert all("受付を終了" in m.subject for m in mail.outbox)
    # Closed is not answerable, whoever tries.
    with pytest.raises(AnswerRefused):
        proposal_respond(proposal=closed, user=partner_a, accept=True)


def test_resolving_through_a_project_closes_what_is_still_open(proposals, coordinator):
    # 募集中 → 連携中 keeps them (a running project may take in a further organisation);
    # 連携中 → 解決 closes them.
    issue, sent, submitted = proposals
    issue_project_started(issue=issue, started_by=coordinator)
    assert _statuses(sent, submitted) == [Proposal.Status.SENT, Proposal.Status.SUBMITTED]
    issue_status_change(
        issue=Issue.objects.get(pk=issue.pk), status=IssueStatus.RESOLVED, changed_by=coordinator
    )
    assert _statuses(sent, submitted) == [Proposal.Status.CLOSED] * 2
    assert Proposal.objects.get(pk=sent.pk).closed_by_issue_status == IssueStatus.RESOLVED


def test_a_step_back_to_review_keeps_them_and_reopening_does_not_resurrect(proposals, coordinator):
    issue, sent, submitted = proposals
    issue_status_change(issue=issue, status=IssueStatus.REVIEWING, changed_by=coordinator)
    assert _statuses(sent, submitted) == [Proposal.Status.SENT, Proposal.Status.SUBMITTED]
    issue_status_change(issue=issue, status=IssueStatus.ON_HOLD, changed_by=coordinator)
    issue_status_change(issue=issue, status=IssueStatus.OPEN, changed_by=coordinator)
    assert _statuses(sent, submitted) == [Proposal.Status.CLOSED] * 2


def test_answered_proposals_keep_their_answer(proposals, coordinator, partner_a):
    issue, sent, submitted = proposals
    proposal_respond(proposal=sent, user=partner_a, accept=False, reason="人手が足りない")
    issue_status_change(issue=issue, status=IssueStatus.WITHDRAWN, changed_by=coordinator)
    assert _statuses(sent, submitted) == [Proposal.Status.DECLINED, Proposal.Status.CLOSED]


def test_an_import_that_withdraws_the_issue_closes_them_and_its_check_does_not(proposals, tmp_path):
    issue, sent, submitted = proposals
    row = f"{issue.ref},見守り,内容。,千代田区,{issue.field.name},3,取下げ\r\n"
    header = "整理番号,課題名,課題の内容,区,分野,緊急度,状態\r\n"
    path = tmp_path / "issues.csv"
    path.write_bytes((header + row).encode("utf-8"))
    call_command("import_issues", str(path), "--dry-run")
    assert _statuses(sent, submitted) == [Proposal.Status.SENT, Proposal.Status.SUBMITTED]
    call_command("import_issues", str(path))
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.WITHDRAWN
    assert _statuses(sent, submitted) == [Proposal.Status.CLOSED] * 2


def test_no_proposal_is_sent_for_an_issue_that_takes_none(org_a, coordinator):
    issue = IssueFactory(status=IssueStatus.ON_HOLD, ward=ward("13101"))
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    with pytest.raises(ValidationError, match="「保留」のため、提案を送れません"):
        proposal_create(decision=decision, created_by=coordinator)
    assert not Proposal.objects.exists()


def test_the_partner_and_the_staff_screens_say_why(
    proposals, coordinator, partner_a, partner_b, client
):
    issue, sent, submitted = proposals
    issue_status_change(issue=issue, status=IssueStatus.WITHDRAWN, changed_by=coordinator)
    reason = "課題が「取下げ」になったため、この提案の受付を終了しました。"
    for partner, proposal in ((partner_a, sent), (partner_b, submitted)):
        client.force_login(partner)
        page = client.get(reverse("matching:partner_proposal", args=[proposal.pk]))
        assert reason in page.content.decode()
        assert 'name="action" value="answer"' not in page.content.decode()
        listing = client.get(reverse("matching:partner_proposals")).content.decode()
        assert "受付終了" in listing and reason in listing
    client.force_login(coordinator)
    assert reason in client.get(reverse("matching:proposals")).content.decode()
    assert reason in client.get(reverse("matching:issue_review", args=[issue.pk])).content.decode()
