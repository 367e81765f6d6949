"""An event's 連携決定 flows into the pipeline: a proposal to the organisation, or a project
where staff confirm; only a real project behind a pair counts as "became a project"."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import IssueStatus
from matching.events import selectors as event_selectors
from matching.events import services as event_services
from matching.events.models import EventPair, PairFollowUp, PairOutcome
from matching.models import Decision, Proposal
from matching.projects.models import Project
from portal.models import Notification
from tests.issues.factories import IssueFactory
from tests.matching.events.test_lifecycle import _event_data, _shortlisted
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(coordinator, org_a, org_b, partner_a):
    """An event held yesterday with two pairs on its programme."""
    issue_a = IssueFactory(coordinator=coordinator, ward=ward("13101"), status=IssueStatus.OPEN)
    issue_b = IssueFactory(coordinator=coordinator, ward=ward("13101"))
    programme = [_shortlisted(issue_a, org_a), _shortlisted(issue_b, org_b, rank=2)]
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    event_services.event_programme_set(
        event=event, candidate_ids=[c.pk for c in programme], user=coordinator
    )
    yesterday = timezone.now() - datetime.timedelta(days=1)
    type(event).objects.filter(pk=event.pk).update(
        starts_at=yesterday, ends_at=yesterday + datetime.timedelta(hours=2)
    )
    event.refresh_from_db()
    return event


def _close(client, event, outcomes: dict, follow_ups: dict):
    pairs = list(event.pairs.order_by("order"))
    post = {"minutes": "両者で実施内容を確認した。"}
    for pair, outcome, follow_up in zip(pairs, outcomes, follow_ups, strict=True):
        post[f"outcome_{pair.pk}"] = outcome
        if follow_up:
            post[f"follow_up_{pair.pk}"] = follow_up
    return client.post(reverse("matching:event_close", args=[event.pk]), post), pairs


def test_staff_confirm_a_decided_pair_as_a_project(client, coordinator, held, partner_a):
    client.force_login(coordinator)
    response, pairs = _close(
        client,
        held,
        [PairOutcome.DECIDED, PairOutcome.DECIDED],
        [PairFollowUp.PROJECT, PairFollowUp.PROPOSAL],
    )
    assert response.status_code == 302
    first, second = (EventPair.objects.get(pk=p.pk) for p in pairs)
    project = first.project
    assert project is not None and project.status == Project.Status.PREPARING
    assert list(project.issues.all()) == [first.issue]
    assert list(project.organizations.all()) == [first.organization]
    first.issue.refresh_from_db()
    assert first.issue.status == IssueStatus.COLLABORATING
    # The other became a proposal through the approval record and the proposal service.
    assert second.proposal.status == Proposal.Status.SENT
    assert second.proposal.decision.verdict == Decision.Verdict.APPROVED
    assert held.title in second.proposal.decision.comment
    figures = event_selectors.pair_outcome_figures()
    assert (figures["decided"], figures["proposals"], figures["became_projects"]) == (2, 1, 1)
    page = client.get(reverse("matching:event_detail", args=[held.pk])).content.decode()
    assert reverse("matching:project_detail", args=[project.pk]) in page


def test_a_decided_pair_without_a_resource_cannot_send_a_proposal(client, coordinator, held):
    pair = held.pairs.order_by("order").first()
    EventPair.objects.filter(pk=pair.pk).update(resource=None)
    client.force_login(coordinator)
    response, _pairs = _close(
        client, held, [PairOutcome.DECIDED, PairOutcome.DROPPED], [PairFollowUp.PROPOSAL, ""]
    )
    assert response.status_code == 200
    assert "提案を送れません" in response.content.decode()
    held.refresh_from_db()
    assert held.status == "open"
    assert not Proposal.objects.exists() and not Project.objects.exists()


def test_a_decided_pair_defaults_to_a_proposal_the_partner_is_told_about(
    held, coordinator, partner_a
):
    org_a = partner_a.membership.organization
    pairs = sorted(held.pairs.all(), key=lambda pair: pair.organization != org_a)
    event_services.event_close(
        event=held,
        minutes="確認",
        attended_ids=set(),
        outcomes={pairs[0].pk: PairOutcome.DECIDED, pairs[1].pk: PairOutcome.CONTINUE},
        closed_by=coordinator,
    )
    proposal = EventPair.objects.get(pk=pairs[0].pk).proposal
    assert proposal is not None and proposal.organization == pairs[0].organization
    assert Notification.objects.filter(recipient=partner_a, message__contains="連携の提案").exists()
    assert EventPair.objects.get(pk=pairs[1].pk).proposal is None
