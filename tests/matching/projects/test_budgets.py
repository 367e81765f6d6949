"""Coordinator budgets and grants, and outsourced support records."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matching.projects import services as project_services
from matching.projects.models import CoordinatorBudget, ExternalSupport, Grant
from tests.matching.factories import ProjectFactory


@pytest.fixture
def budget(coordinator):
    return project_services.budget_set(coordinator=coordinator, fiscal_year=2026, amount=500_000)


def _grant(amount):
    return {
        "project": ProjectFactory(),
        "amount": amount,
        "purpose": "講師謝礼",
        "awarded_on": datetime.date(2026, 7, 1),
    }


def test_grants_reduce_the_balance_and_over_budget_is_refused(budget, coordinator):
    project_services.grant_award(budget=budget, data=_grant(300_000), created_by=coordinator)
    assert project_services.budget_remaining(budget) == 200_000
    with pytest.raises(ValidationError) as exc:
        project_services.grant_award(budget=budget, data=_grant(200_001), created_by=coordinator)
    assert "予算残額（200,000円）を超える" in str(exc.value)
    assert Grant.objects.count() == 1
    project_services.grant_award(budget=budget, data=_grant(200_000), created_by=coordinator)
    assert project_services.budget_remaining(budget) == 0


def test_budget_cannot_shrink_below_what_was_granted(budget, coordinator):
    project_services.grant_award(budget=budget, data=_grant(300_000), created_by=coordinator)
    with pytest.raises(ValidationError):
        project_services.budget_set(coordinator=coordinator, fiscal_year=2026, amount=100_000)
    assert CoordinatorBudget.objects.get().amount == 500_000


def test_over_budget_grant_through_the_screen(client, budget, coordinator):
    client.force_login(coordinator)
    project = ProjectFactory()
    response = client.post(
        reverse("matching:budget_detail", args=[budget.pk]),
        {"project": project.pk, "amount": 600_000, "purpose": "機材", "awarded_on": "2026-07-01"},
    )
    assert response.status_code == 200
    assert "予算残額" in response.content.decode()
    assert not Grant.objects.exists()


def test_other_coordinators_budget_is_hidden(client, budget, coordinator_other_ward):
    client.force_login(coordinator_other_ward)
    assert client.get(reverse("matching:budget_detail", args=[budget.pk])).status_code == 404


def test_only_admin_sets_budgets(client, coordinator, admin_user):
    client.force_login(coordinator)
    data = {"coordinator": coordinator.pk, "fiscal_year": 2026, "amount": 100}
    assert client.post(reverse("matching:budget_set"), data).status_code == 403
    client.force_login(admin_user)
    client.post(reverse("matching:budget_set"), data)
    assert CoordinatorBudget.objects.get().amount == 100


def test_external_support_is_recorded_for_a_project(client, coordinator):
    project = ProjectFactory()
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:external_support_new"),
        {
            "project": project.pk,
            "body_name": "NPO法人まちつなぎ",
            "body_type": "intermediary",
            "description": "住民説明会の企画と運営",
            "started_on": "2026-05-01",
            "ended_on": "2026-04-01",
        },
    )
    assert response.status_code == 400
    assert "終了日は開始日以降" in response.content.decode()
    assert not ExternalSupport.objects.exists()
    client.post(
        reverse("matching:external_support_new"),
        {
            "project": project.pk,
            "body_name": "NPO法人まちつなぎ",
            "body_type": "intermediary",
            "description": "住民説明会の企画と運営",
        },
    )
    assert project.external_supports.get().body_name == "NPO法人まちつなぎ"
    assert (
        "NPO法人まちつなぎ"
        in client.get(reverse("matching:external_support_list")).content.decode()
    )
