"""KPIs that mean what they say (issue 16, item 6): written definitions, ward targets, stocks at
the end of the 年度, matching lead times and the measurement system's availability — each on a
planted dataset with exact values on both sides of 31 March / 1 April (Tokyo)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from evaluation.feed import feed_delivery_record, feed_interval_start
from evaluation.kpi import KPI_SPECS, kpi_compute
from evaluation.kpi.definitions import DEFINITIONS, FLOW, STOCK
from evaluation.kpi.targets import population_share, ward_population
from evaluation.models import DeviceFeed, FeedDelivery, WardKpiTarget
from issues.models import Issue, IssueStatus
from matching.models import Proposal
from matching.projects.models import Project
from partners.models import Organization, OrgStatus
from portal.models import HealthCheck
from tests.evaluation.conftest import at
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory, ResourceFactory
from tests.portal.factories import ward

FY = 2025


def value(code, fy=FY, ward=None, quarter=None):
    return kpi_compute(code, fy, ward, quarter).value


def _history_at(record, moment) -> None:
    """Date the latest history entry of `record` (as if the change had been made at `moment`)."""
    latest = record.history.order_by("-history_date", "-history_id").first()
    type(latest).objects.filter(pk=latest.pk).update(history_date=moment)


def test_every_kpi_has_a_written_definition():
    assert {spec.code for spec in KPI_SPECS} == set(DEFINITIONS)
    for spec in KPI_SPECS:
        definition = spec.definition
        assert str(definition.numerator) and str(definition.period) and str(definition.source)
        assert definition.kind in (STOCK, FLOW)
    by_code = {spec.code: spec for spec in KPI_SPECS}
    assert by_code["registered_organisations"].definition.kind == STOCK
    assert DEFINITIONS["issues_in_database"].kind == STOCK


# ------------------------------------------------------------------ ward targets


def test_population_key_is_the_2020_census():
    population = ward_population()
    assert len(population) == 23
    assert sum(population.values()) == 9_733_276
    assert population["13101"] == 66_680  # 千代田区


@pytest.mark.django_db
def test_ward_targets_follow_the_population_share_or_say_there_is_none():
    chiyoda, setagaya = ward("13101"), ward("13112")
    assert population_share(setagaya).quantize(Decimal("0.0001")) == Decimal("0.0970")
    created = kpi_compute("collaborations_created", FY, chiyoda)
    # 200 × 66,680 / 9,733,276 = 1.37 → 1
    assert created.target == 1
    assert "0.69%" in created.target_note and "令和2年国勢調査" in created.target_note
    assert kpi_compute("collaborations_created", FY, setagaya).target == 19  # 19.39
    assert kpi_compute("registered_organisations", FY, setagaya).target == 48  # 48.48
    assert kpi_compute("coordinators", FY, chiyoda).target == 1  # 0.21, at least 1
    # A rate keeps the 23-ward target; the all-ward view has no note.
    assert kpi_compute("match_success_rate", FY, chiyoda).target == 60
    assert kpi_compute("collaborations_created", FY).target == 200
    assert kpi_compute("collaborations_created", FY).target_note == ""
    # No ward target for reuse by other wards: the ward view says so and judges nothing.
    reused = kpi_compute("cases_reused", FY, chiyoda)
    assert reused.target is None and reused.met is None
    assert "区別の目標はありません" in reused.target_note
    # A figure that is not the ward's own keeps the 23-ward target.
    assert kpi_compute("events_per_month", FY, chiyoda).target == 4


@pytest.mark.django_db
def test_a_ward_target_set_by_evaluators_wins():
    chiyoda = ward("13101")
    WardKpiTarget.objects.create(
        ward=chiyoda, code="collaborations_created", target=5, note="区の総合計画"
    )
    ProjectFactory(ward=chiyoda, start_date=datetime.date(2025, 4, 1))
    result = kpi_compute("collaborations_created", FY, chiyoda)
    assert (result.value, result.target, result.met) == (1, 5, False)
    assert "区の総合計画" in result.target_note
    assert kpi_compute("collaborations_created", FY, ward("13112")).target == 19


# ------------------------------------------------------------------ stocks at the year end


@pytest.mark.django_db
def test_stock_of_issues_is_their_state_at_the_end_of_the_fiscal_year():
    chiyoda = ward("13101")
    # Open all year, withdrawn at 00:00 on 1 April 2026: in the FY2025 stock, not in FY2026's.
    withdrawn = IssueFactory(ward=chiyoda)
    _history_at(withdrawn, at(2025, 5, 1))
    withdrawn.status = IssueStatus.WITHDRAWN
    withdrawn.save()
    _history_at(withdrawn, at(2026, 4, 1, 0, 0))
    # A draft opened at 23:59 on 31 March 2026 counts for FY2025.
    opened = IssueFactory(ward=chiyoda, status=IssueStatus.DRAFT)
    _history_at(opened, at(2025, 5, 1))
    opened.status = IssueStatus.OPEN
    opened.save()
    _history_at(opened, at(2026, 3, 31, 23, 59))
    # Registered at 00:00 on 1 April 2026 (another ward): FY2026 only.
    late = IssueFactory(ward=ward("13112"))
    _history_at(late, at(2026, 4, 1, 0, 0))
    Issue.objects.filter(pk__in=[withdrawn.pk, opened.pk]).update(created_at=at(2025, 5, 1))
    Issue.objects.filter(pk=late.pk).update(created_at=at(2026, 4, 1, 0, 0))

    assert value("issues_in_database") == 2
    assert value("issues_in_database", ward=chiyoda) == 2
    assert value("issues_in_database", ward=ward("13112")) == 0
    assert value("issues_in_database", 2026) == 2  # opened + late; withdrawn left
    assert value("issues_in_database", 2026, ward=chiyoda) == 1
    assert value("issues_in_database", 2024) == 0


@pytest.mark.django_db
def test_stock_of_organisations_is_their_state_at_the_end_of_the_fiscal_year():
    suspended = OrganizationFactory(status=OrgStatus.APPROVED, ward=ward("13101"))
    _history_at(suspended, at(2025, 1, 10))
    suspended.status = OrgStatus.SUSPENDED
    suspended.save()
    _history_at(suspended, at(2026, 4, 1, 0, 0))
    approved_late = OrganizationFactory(status=OrgStatus.PENDING, ward=ward("13101"))
    _history_at(approved_late, at(2026, 3, 1))
    approved_late.status = OrgStatus.APPROVED
    approved_late.save()
    _history_at(approved_late, at(2026, 4, 1, 0, 1))
    Organization.objects.update(created_at=at(2025, 1, 10))

    assert value("registered_organisations") == 1  # suspended after the year end
    assert value("registered_organisations", 2026) == 1  # approved_late
    assert value("registered_organisations", 2024) == 1


# ------------------------------------------------------------------ matching lead time


@pytest.mark.django_db
def test_matching_lead_time_median_per_ward_and_year(org_a):
    chiyoda, setagaya = ward("13101"), ward("13112")
    resource = ResourceFactory(organization=org_a)

    def issue(ward_, opened_at):
        record = IssueFactory(ward=ward_)
        _history_at(record, opened_at)
        return record

    def proposal(issue_, created, accepted=None):
        p = Proposal.objects.create(
            issue=issue_,
            resource=resource,
            organization=org_a,
            deadline=datetime.date(2026, 6, 1),
            status=Proposal.Status.ACCEPTED if accepted else Proposal.Status.SENT,
        )
        Proposal.objects.filter(pk=p.pk).update(created_at=created, responded_at=accepted)
        return p

    a = issue(chiyoda, at(2025, 4, 1, 0, 30))
    proposal(a, at(2025, 4, 11, 9))  # 10 days
    proposal(a, at(2025, 5, 1))  # not the first
    b = issue(chiyoda, at(2025, 6, 1))
    accepted = proposal(b, at(2025, 6, 21), accepted=at(2025, 7, 1))  # 20 days; project 30
    project = ProjectFactory(ward=chiyoda, proposal=accepted)
    project.issues.add(b)
    c = issue(setagaya, at(2026, 3, 1))
    proposal(c, at(2026, 3, 31, 23, 50))  # 30 days, FY2025 (Tokyo)
    d = issue(setagaya, at(2026, 3, 1))
    proposal(d, at(2026, 4, 1, 0, 10))  # 31 days, FY2026
    direct = ProjectFactory(ward=setagaya)  # entered directly on 1 April 2026
    direct.issues.add(d)
    Project.objects.filter(pk=direct.pk).update(created_at=at(2026, 4, 1, 9))

    first = kpi_compute("lead_time_first_proposal", FY)
    assert first.value == Decimal("20.0")  # median of 10, 20, 30
    assert first.denominator == 3
    assert [(r["label"], r["value"]) for r in first.records] == [
        ("世田谷区（1件）", Decimal("30.0")),
        ("千代田区（2件）", Decimal("15.0")),
    ]
    assert value("lead_time_first_proposal", ward=chiyoda) == Decimal("15.0")
    assert value("lead_time_first_proposal", ward=setagaya) == Decimal("30.0")
    assert value("lead_time_first_proposal", 2026) == Decimal("31.0")
    assert value("lead_time_project") == Decimal("30.0")  # b: 1 June → 1 July
    assert value("lead_time_project", 2026) == Decimal("31.0")  # d: 1 March → 1 April
    assert value("lead_time_project", 2026, ward=chiyoda) is None
    assert kpi_compute("lead_time_project", FY).target is None  # the seed sets none


# ------------------------------------------------------------------ measurement availability


def test_feed_intervals_start_at_tokyo_midnight():
    assert feed_interval_start(at(2026, 3, 31, 23, 50), 24) == at(2026, 3, 31, 0, 0)
    assert feed_interval_start(at(2026, 4, 1, 0, 10), 6) == at(2026, 4, 1, 0, 0)
    assert feed_interval_start(at(2026, 4, 1, 13, 10), 6) == at(2026, 4, 1, 12, 0)


@pytest.mark.django_db
def test_measurement_availability_from_deliveries_and_health_checks():
    chiyoda, setagaya = ward("13101"), ward("13112")
    daily = DeviceFeed.objects.create(
        project=ProjectFactory(ward=chiyoda), name="見守りセンサー", token_hash="a", token_hint="a"
    )
    hourly = DeviceFeed.objects.create(
        project=ProjectFactory(ward=setagaya),
        name="来場カウンター",
        token_hash="b",
        token_hint="b",
        interval_hours=1,
        active=False,
        deactivated_at=at(2026, 4, 1, 1, 0),
    )
    DeviceFeed.objects.filter(pk=daily.pk).update(created_at=at(2026, 3, 29, 0, 0))
    DeviceFeed.objects.filter(pk=hourly.pk).update(created_at=at(2026, 3, 31, 22, 0))
    daily.refresh_from_db()
    hourly.refresh_from_db()
    for moment in (at(2026, 3, 29, 8), at(2026, 3, 31, 23, 30), at(2026, 4, 1, 0, 10)):
        feed_delivery_record(feed=daily, at=moment)
    feed_delivery_record(feed=daily, at=at(2026, 3, 29, 20))  # same interval: one delivery
    feed_delivery_record(feed=hourly, at=at(2026, 3, 31, 22, 15))
    assert FeedDelivery.objects.get(feed=daily, interval_start=at(2026, 3, 29, 0, 0)).batches == 2
    # The database was down on 30 March: that missed day is the receiving side's.
    check = HealthCheck.objects.create(database_ok=False, broker_ok=True, worker_ok=True)
    HealthCheck.objects.filter(pk=check.pk).update(at=at(2026, 3, 30, 12))

    with time_machine.travel(at(2026, 4, 3, 12), tick=False):
        result = kpi_compute("measurement_availability", FY)
        # Daily: 29, 30, 31 March → 2 of 3; hourly: 22:00 and 23:00 → 1 of 2.
        assert (result.numerator, result.denominator) == (3, 5)
        assert result.value == Decimal("60.0")
        assert result.target == 95
        sensor = next(r for r in result.records if "見守りセンサー" in r["label"])
        assert "2 / 3 区間（未受信のうち受信側の停止 1）" in sensor["label"]
        assert value("measurement_availability", ward=chiyoda) == Decimal("66.7")
        assert value("measurement_availability", ward=setagaya) == Decimal("50.0")
        # FY2026 so far: daily 1 and 2 April (the 3rd has not ended) → 1 of 2; hourly 00:00 → 0/1.
        current = kpi_compute("measurement_availability", 2026)
        assert (current.numerator, current.denominator) == (1, 3)
        assert value("measurement_availability", 2024) is None


@pytest.mark.django_db
def test_evaluators_set_and_clear_a_wards_target_on_the_screen(client, evaluator, coordinator):
    url = reverse("evaluation:ward_targets")
    client.force_login(coordinator)
    assert client.post(url, {"ward": "13101", "t_collaborations_created": "5"}).status_code == 403
    client.force_login(evaluator)
    page = client.get(url, {"ward": "13101"}).content.decode()
    assert "令和2年国勢調査" in page and "23区と同じ目標" in page
    client.post(
        url, {"ward": "13101", "t_collaborations_created": "5", "n_collaborations_created": "計画"}
    )
    target = WardKpiTarget.objects.get(ward__code="13101", code="collaborations_created")
    assert (target.target, target.note, target.updated_by) == (5, "計画", evaluator)
    assert kpi_compute("collaborations_created", FY, ward("13101")).target == 5
    response = client.post(url, {"ward": "13101", "t_collaborations_created": "-1"}, follow=True)
    assert WardKpiTarget.objects.get().target == 5  # refused, kept
    client.post(url, {"ward": "13101", "t_collaborations_created": ""})
    assert not WardKpiTarget.objects.exists()
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_wards_count_is_not_compared_with_the_23_ward_baseline():
    chiyoda = ward("13101")
    assert kpi_compute("collaborations_created", FY).baseline == 60
    assert kpi_compute("collaborations_created", FY, chiyoda).baseline is None
    assert kpi_compute("match_success_rate", FY, chiyoda).baseline == Decimal("23.8")
