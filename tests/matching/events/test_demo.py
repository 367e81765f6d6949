"""The events demo loader: 20 months of events with programmes, idempotent."""

from __future__ import annotations

import datetime

from matching.events import demo as event_demo
from matching.events.models import Event, EventPair, Invitation
from matching.projects.models import CoordinatorBudget
from portal.demo.history import backdate
from portal.registry import DemoContext
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import ResourceFactory, partner_user


def test_demo_events_cover_20_months_and_load_twice_without_duplicates(coordinator, org_a):
    partner_user(org_a, "demo_partner")
    # Registered before the 20 months: a programme only has issues and organisations known then.
    registered = datetime.date(2023, 4, 1)
    backdate(org_a, registered)
    for number in range(12):
        issue = IssueFactory(coordinator=coordinator)
        if number % 2:  # the others are registered today
            backdate(issue, registered)
        ResourceFactory(organization=org_a)
    ProjectFactory()
    ctx = DemoContext(seed=1, password="x", log=lambda _msg: None)
    event_demo.load(ctx)
    counts = (
        Event.objects.count(),
        EventPair.objects.count(),
        Invitation.objects.count(),
        CoordinatorBudget.objects.count(),
    )
    months = {(e.starts_at.year, e.starts_at.month) for e in Event.objects.all()}
    assert len(months) >= 20
    assert counts[1] > 0 and counts[2] > 0
    assert EventPair.objects.exclude(outcome="").exists()
    for pair in EventPair.objects.select_related("event", "issue"):
        assert pair.issue.created_at < pair.event.starts_at - datetime.timedelta(days=7)
    event_demo.load(ctx)
    assert counts == (
        Event.objects.count(),
        EventPair.objects.count(),
        Invitation.objects.count(),
        CoordinatorBudget.objects.count(),
    )
