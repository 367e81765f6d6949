"""The matching demo loader: realistic history, idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F

from matching import demo
from matching.models import Candidate, Decision, Proposal
from matching.projects.models import Project
from portal.demo.history import backdate
from portal.registry import DemoContext
from tests.issues.factories import IssueFactory, field
from tests.matching.factories import PAIRS
from tests.partners.factories import OrganizationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def test_demo_loader_creates_history_and_is_idempotent(coordinator, approver):
    # Registered before the history starts: the demo reviews nothing before its registration.
    registered = datetime.date(2023, 10, 1)
    for i in range(40):
        field_name, ititle, idesc, rtitle, rdesc = PAIRS[i % len(PAIRS)]
        issue = IssueFactory(
            ref=f"D-{i}", title=f"{ititle}（{i}）", description=idesc, field=field(field_name)
        )
        organization = OrganizationFactory()
        backdate(issue, registered)
        backdate(organization, registered)
        ResourceFactory(
            ref=f"DR-{i}",
            organization=organization,
            title=rtitle,
            description=rdesc,
            capacity=5,
        )
    ctx = DemoContext(seed=20260401, password="x", log=lambda message: None)
    demo.load(ctx)
    counts = (
        Candidate.objects.count(),
        Decision.objects.count(),
        Proposal.objects.count(),
        Project.objects.count(),
    )
    assert all(counts), counts
    assert Decision.objects.filter(verdict="rejected").exclude(reason="").exists()
    starts = set(Project.objects.values_list("start_date__year", flat=True))
    assert starts & {2024, 2025}
    # Nothing proposed before the issue or the organisation was registered.
    assert not Proposal.objects.filter(created_at__lt=F("issue__created_at")).exists()
    assert not Proposal.objects.filter(created_at__lt=F("organization__created_at")).exists()
    demo.load(ctx)
    assert (
        Candidate.objects.count(),
        Decision.objects.count(),
        Proposal.objects.count(),
        Project.objects.count(),
    ) == counts


def test_partner_proposals_demo_has_calls_proposals_and_threads_and_is_idempotent(
    coordinator, approver
):
    from django.utils import timezone

    from matching.calls.models import OpenCall
    from matching.conversations.models import Message, Thread
    from matching.offers import demo as offers_demo
    from matching.runs.services import matching_refresh_issue
    from tests.matching.factories import matching_world
    from tests.partners.factories import partner_user

    issues, resources = matching_world(5)
    for issue in issues:
        issue.coordinator = coordinator
        issue.save(update_fields=["coordinator"])
        matching_refresh_issue(issue_id=issue.pk)
    partner_user(resources[0].organization, "partner")
    partner_user(resources[1].organization, "partner2")
    ctx = DemoContext(seed=20260401, password="x", log=lambda message: None)
    offers_demo.load(ctx)
    offered = Proposal.objects.filter(origin="partner")
    assert set(offered.values_list("status", flat=True)) >= {"accepted", "submitted"}
    assert Project.objects.filter(proposal__origin="partner").count() == 1
    assert Decision.objects.filter(partner_proposal__isnull=False).exclude(features={}).exists()
    assert OpenCall.objects.exists() and Thread.objects.exists()
    now, today = timezone.now(), timezone.localdate()
    assert all(p.created_at <= now for p in offered)
    assert all(m.created_at <= now for m in Message.objects.all())
    assert all(d.decided_at <= now for d in Decision.objects.all())
    for proposal in offered.exclude(responded_at=None):
        assert proposal.created_at < proposal.responded_at
    for call in OpenCall.objects.all():
        assert timezone.localtime(call.published_at).date() <= min(call.deadline, today)
    counts = (offered.count(), OpenCall.objects.count(), Message.objects.count())
    offers_demo.load(ctx)
    assert (offered.count(), OpenCall.objects.count(), Message.objects.count()) == counts
