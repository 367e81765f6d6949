"""Model rules: the priority formula, the workflow, optimistic locking, reference numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from issues import services
from issues.models import Issue, IssueStatus
from issues.priority import Weights, priority_compute, priority_explain
from issues.workflow import TRANSITIONS, transition_allowed
from portal.locking import Conflict
from tests.issues.factories import IssueFactory, field
from tests.portal.factories import ward


def test_priority_formula_bounds_and_order():
    w = Weights(4, 4, 2)
    assert priority_compute(urgency=5, importance=5, difficulty=1, weights=w) == Decimal("100.00")
    assert priority_compute(urgency=1, importance=1, difficulty=5, weights=w) == Decimal("0.00")
    # urgency 5 (16 pts of 40) + importance 3 (8) + difficulty 3 → ease 2 (4) = 28/40 · 100
    assert priority_compute(urgency=5, importance=3, difficulty=3, weights=w) == Decimal("70.00")
    easy = priority_compute(urgency=3, importance=3, difficulty=1, weights=w)
    hard = priority_compute(urgency=3, importance=3, difficulty=5, weights=w)
    assert easy > hard


def test_explanation_adds_up_to_the_priority(db):
    issue = IssueFactory(urgency=5, importance=2, difficulty=4)
    explained = priority_explain(issue, weights=Weights(4, 4, 2))
    assert explained["total"] == issue.priority
    assert sum(row["points"] for row in explained["rows"]) == pytest.approx(
        float(issue.priority), abs=0.2
    )


def test_score_change_recomputes_priority(db, coordinator):
    issue = IssueFactory(urgency=2, importance=2, difficulty=4)
    low = issue.priority
    issue = services.issue_scores_set(
        issue=issue, urgency=5, importance=5, difficulty=1, changed_by=coordinator
    )
    assert issue.priority == Decimal("100.00") > low
    assert issue.version == 2


def test_changing_the_weights_recomputes_every_issue(db, admin_user):
    urgent = IssueFactory(urgency=5, importance=1, difficulty=3)
    services.priority_weights_update(
        urgency_weight=1, importance_weight=0, ease_weight=0, updated_by=admin_user
    )
    urgent.refresh_from_db()
    assert urgent.priority == Decimal("100.00")


def test_score_outside_range_is_refused(db, coordinator):
    issue = IssueFactory()
    with pytest.raises(ValidationError):
        services.issue_scores_set(
            issue=issue, urgency=6, importance=3, difficulty=3, changed_by=coordinator
        )
    issue.refresh_from_db()
    assert issue.urgency == 4 and issue.version == 1


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("draft", "reviewing", True),
        ("reviewing", "open", True),
        ("open", "collaborating", True),
        ("collaborating", "resolved", True),
        ("open", "on_hold", True),
        ("on_hold", "open", True),
        ("draft", "resolved", False),
        ("draft", "open", False),
        ("resolved", "open", False),
        ("withdrawn", "open", False),
    ],
)
def test_transitions(current, new, allowed):
    assert transition_allowed(current, new) is allowed


def test_every_status_has_a_rule():
    assert set(TRANSITIONS) == set(IssueStatus.values)


def test_forbidden_transition_changes_nothing(db, coordinator):
    issue = IssueFactory(status=IssueStatus.DRAFT)
    with pytest.raises(ValidationError, match="変更できません"):
        services.issue_status_change(issue=issue, status="resolved", changed_by=coordinator)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.DRAFT and issue.version == 1


def test_status_change_is_kept_in_history(db, coordinator):
    issue = IssueFactory(status=IssueStatus.REVIEWING)
    services.issue_status_change(issue=issue, status="open", changed_by=coordinator)
    latest = issue.history.order_by("-history_id").first()
    assert latest.status == "open"
    assert latest.history_user == coordinator


def test_stale_version_is_a_conflict(db, coordinator):
    issue = IssueFactory()
    services.issue_update(
        issue=issue, updated_by=coordinator, data={"title": "先に保存"}, version=1
    )
    with pytest.raises(Conflict):
        services.issue_update(
            issue=issue, updated_by=coordinator, data={"title": "後から保存"}, version=1
        )
    issue.refresh_from_db()
    assert issue.title == "先に保存" and issue.version == 2


def test_other_ward_coordinator_cannot_change(db, coordinator_other_ward):
    from django.core.exceptions import PermissionDenied

    issue = IssueFactory()  # 千代田区
    with pytest.raises(PermissionDenied):
        services.issue_status_change(
            issue=issue, status="on_hold", changed_by=coordinator_other_ward
        )


def test_ref_is_generated_per_ward_and_year(db, coordinator):
    data = {"title": "題", "description": "内容", "ward": ward("13101"), "field": field()}
    first = services.issue_create(created_by=coordinator, data=data)
    second = services.issue_create(created_by=coordinator, data=data)
    year = first.created_at.astimezone().year
    assert first.ref == f"13101-{year}-0001"
    assert second.ref == f"13101-{year}-0002"
    independent = services.issue_create(created_by=coordinator, data={**data, "ward": None})
    assert independent.ref.startswith("00000-")


def test_budget_and_period_rules(db, coordinator):
    import datetime

    data = {"title": "題", "description": "内容", "ward": ward("13101"), "field": field()}
    with pytest.raises(ValidationError) as excinfo:
        services.issue_create(
            created_by=coordinator,
            data={
                **data,
                "budget_min": 500,
                "budget_max": 100,
                "desired_start": datetime.date(2026, 5, 1),
                "desired_end": datetime.date(2026, 4, 1),
            },
        )
    assert {"budget_max", "desired_end"} <= set(excinfo.value.message_dict)
    assert Issue.objects.count() == 0


def test_caseload_by_coordinator(db, coordinator):
    from django.utils import timezone

    from issues.selectors import caseload_by_coordinator

    IssueFactory(coordinator=coordinator, status=IssueStatus.OPEN)
    IssueFactory(coordinator=coordinator, status=IssueStatus.DRAFT)
    IssueFactory(
        coordinator=coordinator, status=IssueStatus.RESOLVED, status_changed_at=timezone.now()
    )
    figures = caseload_by_coordinator([coordinator.pk])[coordinator.pk]
    assert figures == {"open": 1, "resolved_year": 1}
