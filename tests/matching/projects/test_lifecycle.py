"""project_create / project_status_change: the services evaluation relies on."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from issues.models import IssueStatus
from matching.projects.models import Project
from matching.projects.services import project_create, project_status_change
from tests.issues.factories import IssueFactory

pytestmark = pytest.mark.django_db


def test_project_create_moves_issues_to_collaborating(org_a, coordinator):
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
    assert project.status == Project.Status.PREPARING
    assert issue.history.first().status == IssueStatus.COLLABORATING  # audited


def test_project_create_rejects_bad_dates(org_a):
    with pytest.raises(ValidationError):
        project_create(
            title="x",
            issues=[IssueFactory()],
            organizations=[org_a],
            start_date=datetime.date(2025, 5, 1),
            end_date=datetime.date(2025, 4, 1),
        )
    assert not Project.objects.exists()


def test_status_transitions(org_a, evaluator):
    project = project_create(
        title="見守り連携",
        issues=[IssueFactory()],
        organizations=[org_a],
        start_date=datetime.date(2025, 5, 1),
    )
    project_status_change(project=project, status=Project.Status.RUNNING, changed_by=evaluator)
    project_status_change(project=project, status=Project.Status.COMPLETED, changed_by=evaluator)
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED and project.end_date
    assert project.history.first().history_user == evaluator
    with pytest.raises(ValidationError, match="変更できません"):
        project_status_change(
            project=project, status=Project.Status.PREPARING, changed_by=evaluator
        )
