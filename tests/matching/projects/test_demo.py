"""The projects demo loader: every status with a dated history, costs, problems, progress."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from matching.projects import demo
from matching.projects.models import Project
from matching.projects.services import project_create
from portal.registry import DemoContext
from tests.issues.factories import IssueFactory
from tests.partners.factories import partner_user
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db


def test_lifecycles_cover_every_status_and_the_loader_is_idempotent(org_a, coordinator):
    partner_user(org_a, "demo_member")
    today = timezone.localdate()
    for n in range(40):
        project_create(
            title=f"デモ事業{n}",
            issues=[IssueFactory()],
            organizations=[org_a],
            start_date=today - datetime.timedelta(days=25 * n - 30),
            ward=ward("13101"),
            coordinator=coordinator,
            public_cost=500_000,
            partner_cost=100_000,
        )
    ctx = DemoContext(seed=20260401, password="x", log=lambda message: None)
    demo.load(ctx)
    statuses = set(Project.objects.values_list("status", flat=True))
    assert statuses == set(Project.Status.values)
    for project in Project.objects.all():
        days = list(project.status_changes.values_list("changed_on", flat=True))
        assert days == sorted(days) and days[-1] <= today
    assert Project.objects.filter(problems__status="resolved").exists()
    assert Project.objects.filter(problems__status="open").exists()
    assert Project.objects.filter(progress_reports__isnull=False).exists()
    assert Project.objects.filter(contributions__in_kind__gt=0).exists()
    snapshot = (
        sorted(Project.objects.values_list("pk", "status", "public_cost", "in_kind_value")),
        [p.status_changes.count() for p in Project.objects.order_by("pk")],
    )
    demo.load(ctx)
    assert (
        sorted(Project.objects.values_list("pk", "status", "public_cost", "in_kind_value")),
        [p.status_changes.count() for p in Project.objects.order_by("pk")],
    ) == snapshot


def test_a_pilot_concludes_in_adoption_about_as_often_as_the_benchmark(org_a):
    today = timezone.localdate()
    rng = random.Random(7)
    adopted = concluded = 0
    for n in range(200):
        project = project_create(
            title=f"P{n}",
            issues=[],
            organizations=[org_a],
            start_date=today - datetime.timedelta(days=400),
        )
        demo.lifecycle_walk(project, rng, today)
        first = project.status_changes.filter(from_status=Project.Status.PILOT).first()
        if first and first.to_status != Project.Status.CONTINUING:
            concluded += 1
            adopted += first.to_status == Project.Status.ADOPTED
    assert 0.35 < adopted / concluded < 0.65
