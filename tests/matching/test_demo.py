"""The matching demo loader: realistic history, idempotent."""

from __future__ import annotations

import pytest

from matching import demo
from matching.models import Candidate, Decision, Proposal
from matching.projects.models import Project
from portal.registry import DemoContext
from tests.issues.factories import IssueFactory, field
from tests.matching.factories import PAIRS
from tests.partners.factories import OrganizationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def test_demo_loader_creates_history_and_is_idempotent(coordinator, approver):
    for i in range(40):
        field_name, ititle, idesc, rtitle, rdesc = PAIRS[i % len(PAIRS)]
        IssueFactory(
            ref=f"D-{i}", title=f"{ititle}（{i}）", description=idesc, field=field(field_name)
        )
        ResourceFactory(
            ref=f"DR-{i}",
            organization=OrganizationFactory(),
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
    demo.load(ctx)
    assert (
        Candidate.objects.count(),
        Decision.objects.count(),
        Proposal.objects.count(),
        Project.objects.count(),
    ) == counts
