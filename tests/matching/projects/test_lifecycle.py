"""project_create / project_status_change / costs: the lifecycle and the cost split that the
project page, evaluation and the KPIs rely on."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from issues.models import IssueStatus
from matching.projects import services
from matching.projects.models import Project, ProjectContribution
from matching.projects.services import project_create, project_status_change
from tests.issues.factories import IssueFactory
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db
S = Project.Status


def _project(org, **kwargs) -> Project:
    return project_create(
        title="見守り連携",
        issues=[IssueFactory()],
        organizations=[org],
        start_date=kwargs.pop("start_date", datetime.date(2025, 5, 1)),
        ward=kwargs.pop("ward", ward("13101")),
        **kwargs,
    )


def test_project_create_moves_issues_to_collaborating_and_keeps_the_first_step(org_a, coordinator):
    issue = IssueFactory(status=IssueStatus.OPEN)
    project = project_create(
        title="見守り連携",
        issues=[issue],
        organizations=[org_a],
        start_date=datetime.date(2025, 5, 1),
        created_by=coordinator,
        public_cost=300_000,
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.COLLABORATING
    assert project.status == S.PREPARING
    assert issue.history.first().status == IssueStatus.COLLABORATING  # audited
    (first,) = project.status_changes.all()
    assert (first.from_status, first.to_status, first.changed_by) == ("", S.PREPARING, coordinator)


def test_project_create_rejects_bad_dates(org_a):
    with pytest.raises(ValidationError):
        _project(org_a, end_date=datetime.date(2025, 4, 1))
    assert not Project.objects.exists()


def test_pilot_to_adoption_is_recorded_with_its_day(org_a, evaluator):
    project = _project(org_a)
    project_status_change(
        project=project, status=S.PILOT, changed_by=evaluator, on=datetime.date(2025, 6, 1)
    )
    project_status_change(
        project=project,
        status=S.ADOPTED,
        changed_by=evaluator,
        on=datetime.date(2026, 4, 1),
        note="区の通常事業として予算化",
    )
    project.refresh_from_db()
    assert project.status == S.ADOPTED and project.end_date is None
    steps = list(project.status_changes.values_list("from_status", "to_status", "changed_on"))
    assert steps[1:] == [
        (S.PREPARING, S.PILOT, datetime.date(2025, 6, 1)),
        (S.PILOT, S.ADOPTED, datetime.date(2026, 4, 1)),
    ]
    assert project.history.first().history_user == evaluator
    assert project.history.first().history_change_reason == "区の通常事業として予算化"


@pytest.mark.parametrize(
    "path,refused",
    [
        ([], S.ADOPTED),  # 準備中 → 本格導入 skips the pilot
        ([S.PILOT, S.COMPLETED], S.ADOPTED),  # an ended project is reopened as 継続 first
        ([S.CANCELLED], S.PILOT),  # a cancelled project starts again from 準備中
        ([S.PILOT, S.ADOPTED], S.CONTINUING),
    ],
)
def test_transitions_outside_the_lifecycle_are_refused(org_a, evaluator, path, refused):
    project = _project(org_a)
    for status in path:
        project_status_change(project=project, status=status, changed_by=evaluator)
    before = project.status_changes.count()
    with pytest.raises(ValidationError, match="変更できません"):
        project_status_change(project=project, status=refused, changed_by=evaluator)
    project.refresh_from_db()
    assert project.status == (path[-1] if path else S.PREPARING)
    assert project.status_changes.count() == before


def test_ending_sets_the_end_day_and_reopening_clears_it(org_a, evaluator):
    project = _project(org_a)
    project_status_change(project=project, status=S.PILOT, changed_by=evaluator)
    project_status_change(project=project, status=S.COMPLETED, changed_by=evaluator)
    project.refresh_from_db()
    assert project.end_date == timezone.localdate()
    project_status_change(project=project, status=S.CONTINUING, changed_by=evaluator)
    project.refresh_from_db()
    assert project.end_date is None


def test_change_days_in_the_future_or_before_the_last_change_are_refused(org_a, evaluator):
    project = _project(org_a)
    project_status_change(
        project=project, status=S.PILOT, changed_by=evaluator, on=datetime.date(2025, 9, 1)
    )
    with pytest.raises(ValidationError, match="未来"):
        project_status_change(
            project=project,
            status=S.ADOPTED,
            changed_by=evaluator,
            on=timezone.localdate() + datetime.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="前回の状態変更"):
        project_status_change(
            project=project, status=S.ADOPTED, changed_by=evaluator, on=datetime.date(2025, 8, 31)
        )
    project.refresh_from_db()
    assert project.status == S.PILOT


def test_another_wards_coordinator_may_not_change_the_status(org_a, coordinator_other_ward):
    project = _project(org_a)
    with pytest.raises(PermissionDenied):
        project_status_change(project=project, status=S.PILOT, changed_by=coordinator_other_ward)
    project.refresh_from_db()
    assert project.status == S.PREPARING


def test_costs_per_party_and_grants_make_the_totals(org_a, org_b, coordinator):
    project = project_create(
        title="見守り連携",
        issues=[IssueFactory()],
        organizations=[org_a, org_b],
        start_date=datetime.date(2025, 5, 1),
        ward=ward("13101"),
        public_cost=500_000,
        partner_cost=200_000,
        in_kind_value=50_000,
    )
    assert (project.public_cost, project.partner_cost, project.in_kind_value) == (
        500_000,
        200_000,
        50_000,
    )
    services.project_costs_set(
        project=project,
        parties={
            None: {"cash": 800_000, "in_kind": 100_000, "in_kind_note": "区民会館の会議室"},
            org_a.pk: {"cash": 300_000, "in_kind": 0},
            org_b.pk: {"cash": 0, "in_kind": 400_000, "in_kind_note": "見守りセンサー20台"},
        },
        changed_by=coordinator,
    )
    budget = services.budget_set(coordinator=coordinator, fiscal_year=2025, amount=500_000)
    services.grant_award(
        budget=budget,
        data={
            "project": project,
            "amount": 120_000,
            "purpose": "講師謝礼",
            "awarded_on": datetime.date(2025, 7, 1),
        },
        created_by=coordinator,
    )
    project.refresh_from_db()
    # 公的負担 = ward money 800,000 + ward in-kind 100,000 + grant 120,000.
    assert (project.public_cost, project.partner_cost, project.in_kind_value) == (
        1_020_000,
        300_000,
        400_000,
    )
    assert ProjectContribution.objects.filter(project=project).count() == 3


def test_costs_of_an_organisation_outside_the_project_are_refused(org_a, org_b, coordinator):
    project = _project(org_a, public_cost=100_000)
    with pytest.raises(ValidationError):
        services.project_costs_set(
            project=project,
            parties={None: {"cash": 1, "in_kind": 0}, org_b.pk: {"cash": 5, "in_kind": 0}},
            changed_by=coordinator,
        )
    project.refresh_from_db()
    assert project.public_cost == 100_000
