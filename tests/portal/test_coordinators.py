"""Coordinator profiles, caseload figures from registered providers, the 23-ward overview."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from portal import fiscal, registry
from portal.coordinators import services as coordination
from tests.issues.factories import field
from tests.portal.factories import UserFactory, ward


@pytest.fixture
def fake_provider(coordinator):
    calls = []

    def provider(user_ids, fiscal_year):
        calls.append((sorted(user_ids), fiscal_year))
        return {coordinator.pk: {"active": 4, "issues": 4, "supported_year": 12}}

    registry.caseload_provider_register(key="tests.fake", provider=provider)
    yield calls
    registry.caseload_provider_unregister(key="tests.fake")


def test_caseload_sums_every_provider(coordinator, coordinator_other_ward, fake_provider):
    from portal.models import ConsultationRequest

    ConsultationRequest.objects.create(
        name="山田", email="y@example.jp", topic="start", message="相談", assigned_to=coordinator
    )
    figures = coordination.caseload_figures(
        user_ids=[coordinator.pk, coordinator_other_ward.pk], fiscal_year=2026
    )
    assert figures[coordinator.pk]["active"] == 5  # 4 issues + 1 open consultation
    assert figures[coordinator.pk]["supported_year"] == 12 + (
        1 if fiscal.current_fiscal_year() == 2026 else 0
    )
    assert figures[coordinator.pk]["issues"] == 4
    assert figures[coordinator_other_ward.pk] == {}
    assert fake_provider == [(sorted([coordinator.pk, coordinator_other_ward.pk]), 2026)]


def test_caseload_from_issues_and_projects(coordinator):
    from issues.models import IssueStatus
    from matching.projects.selectors import caseload_by_coordinator
    from tests.issues.factories import IssueFactory
    from tests.matching.factories import ProjectFactory

    IssueFactory(coordinator=coordinator)
    IssueFactory(coordinator=coordinator)
    IssueFactory(coordinator=coordinator, status=IssueStatus.WITHDRAWN)
    ProjectFactory(coordinator=coordinator, start_date=datetime.date(2026, 5, 1))
    ProjectFactory(
        coordinator=coordinator,
        start_date=datetime.date(2020, 5, 1),
        end_date=datetime.date(2021, 3, 1),
        status="completed",
    )
    figures = caseload_by_coordinator([coordinator.pk], 2026)[coordinator.pk]
    assert figures["issues"] == 2
    assert figures["projects"] == 1
    assert figures["active"] == 3


def test_ward_overview_counts_coordinators_per_ward_against_target(
    coordinator, coordinator_other_ward, fake_provider
):
    extra = UserFactory(username="coord_multi", role="coordinator", ward=ward("13101"))
    profile = coordination.coordinator_profile_save(
        user=extra,
        data={"background": "npo"},
        wards=[ward("13101"), ward("13113")],
        specialities=[field("子育て支援")],
    )
    assert profile.wards.count() == 2
    overview = coordination.ward_overview(fiscal_year=2026)
    per_ward = {row["ward"].code: row["coordinators"] for row in overview["wards"]}
    assert per_ward["13101"] == 2  # coordinator + coord_multi
    assert per_ward["13112"] == 1
    assert per_ward["13113"] == 1
    assert overview["total"] == 3
    assert overview["target"] == 30
    assert overview["wards_without"] == 23 - 3
    rows = {row["user"].username: row for row in overview["rows"]}
    assert rows["coord_chiyoda"]["supported_year"] == 12
    assert rows["coord_chiyoda"]["meets_target"] is False


def test_coordinator_edits_only_own_profile(
    client, coordinator, coordinator_other_ward, admin_user
):
    client.force_login(coordinator)
    url = reverse("portal:coordinator_edit", args=[coordinator_other_ward.pk])
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("fixture", "status"),
    [("coordinator", 200), ("approver", 200), ("evaluator", 200), ("partner_a", 403)],
)
def test_overview_is_for_staff(db, client, request, fixture, status):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("portal:coordinator_overview")).status_code == status


def test_overview_queries_do_not_grow_with_coordinators(
    client, admin_user, django_assert_max_num_queries
):
    for i in range(5):
        UserFactory(username=f"c{i}", role="coordinator", ward=ward("13104"))
    client.force_login(admin_user)
    client.get(reverse("portal:coordinator_overview"))
    with django_assert_max_num_queries(40) as five:
        client.get(reverse("portal:coordinator_overview"))
    for i in range(45):
        UserFactory(username=f"d{i}", role="coordinator", ward=ward("13105"))
    with django_assert_max_num_queries(len(five.captured_queries)):
        page = client.get(reverse("portal:coordinator_overview")).content.decode()
    assert "d44" in page or page.count("/coordinators/") >= 50


def test_overview_queries_do_not_grow_with_cases(
    client, admin_user, coordinator, django_assert_max_num_queries
):
    from django.db import reset_queries

    from tests.issues.factories import IssueFactory
    from tests.matching.factories import ProjectFactory

    def grow(n):
        for i in range(n):
            IssueFactory(coordinator=coordinator)
            ProjectFactory(title=f"事業{i}", coordinator=coordinator)

    client.force_login(admin_user)
    grow(3)
    client.get(reverse("portal:coordinator_overview"))
    reset_queries()  # the connection's log holds 9,000 queries at most
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("portal:coordinator_overview"))
    queries_small = len(small)
    grow(30)
    reset_queries()
    with django_assert_max_num_queries(queries_small):
        assert client.get(reverse("portal:coordinator_overview")).status_code == 200
