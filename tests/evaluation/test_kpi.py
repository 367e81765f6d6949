"""Every KPI of DESIGN.md on the planted dataset of conftest.py (年度2025), with exact values."""

import datetime
from decimal import Decimal

import pytest

import portal.selectors
from evaluation.kpi import KPI_SPECS, kpi_compute, kpis_for
from evaluation.kpi.pillar3 import indicator_improvements
from evaluation.selectors import gap_by_field
from matching.events.models import Event, EventTheme

FY = 2025


def value(code, fy=FY, ward=None, quarter=None):
    return kpi_compute(code, fy, ward, quarter).value


@pytest.fixture
def no_coordination(monkeypatch):
    # A year for which the coordinator system has recorded nothing.
    monkeypatch.setattr(portal.selectors, "coordination_figures", lambda *, fiscal_year: {})


@pytest.fixture
def coordination(monkeypatch):
    def coordination_figures(*, fiscal_year):
        assert fiscal_year == FY
        return {
            "coordinators": 32,
            "supported_cases_per_coordinator": 12.25,
            "training_sessions": 25,
            "network_meetings": 5,
            "staff_trained_share": 0.4825,
            "skills_sufficient_share": 0.2,
        }

    monkeypatch.setattr(portal.selectors, "coordination_figures", coordination_figures)


def test_every_kpi_of_the_design_table_is_computed(planted, no_coordination):
    results = kpis_for(FY)
    assert len(results) == len(KPI_SPECS) == 27
    targets = {r.code: r.target for r in results}
    assert targets["collaborations_created"] == 200
    assert targets["match_success_rate"] == 60
    assert {r.code: r.baseline for r in results if r.baseline is not None} == {
        "collaborations_created": Decimal(60),
        "match_success_rate": Decimal("23.8"),
        "coordinator_success_rate": Decimal("52.1"),
        "staff_skills": Decimal("18.7"),
        "continuation_2y": Decimal("67.3"),
    }


def test_collaborations_created_counts_start_dates_in_the_fiscal_year(planted):
    # p1 starts 1 April 2025, p2 on 31 March 2026; p3 on 31 March 2025 belongs to 年度2024.
    result = kpi_compute("collaborations_created", FY)
    assert result.value == 2
    assert {p.title for p in result.records} == {"見守り連携", "子育てひろば"}
    assert value("collaborations_created", 2024) == 2  # p3 and p4
    assert value("collaborations_created", ward=planted["chiyoda"]) == 1


def test_match_success_rate(planted):
    result = kpi_compute("match_success_rate", FY)
    assert (result.numerator, result.denominator) == (1, 3)
    assert result.value == Decimal("33.3")
    assert value("match_success_rate", 2024) == Decimal("100.0")


def test_partners_own_proposals_count_both_ways_in_the_match_success_rate(planted):
    from matching.models import Proposal

    waiting = Proposal.objects.get(status=Proposal.Status.SENT)
    # A partner's proposal the ward turned down (見送り) is an answered, unsuccessful match;
    # one still under review (審査中) is not counted, like the ward's proposals still waiting.
    for status in (Proposal.Status.REJECTED, Proposal.Status.SUBMITTED):
        Proposal.objects.filter(pk=waiting.pk).update(status=status, origin="partner")
        result = kpi_compute("match_success_rate", FY)
        expected = (1, 4) if status == Proposal.Status.REJECTED else (1, 3)
        assert (result.numerator, result.denominator) == expected


def test_registered_organisations_and_issues(planted):
    assert value("registered_organisations") == 2
    assert value("registered_organisations", 2023) == 0
    assert value("issues_in_database") == 3
    assert value("issues_in_database", 2026) == 4


def test_monthly_active_users(planted):
    # The 年度's last month, March 2026: active1 only; a whole number, never a mean of months.
    result = kpi_compute("monthly_active_users", FY)
    assert result.value == 1
    assert [(r["label"], r["value"]) for r in result.records][:3] == [
        ("2025-04", 2),
        ("2025-05", 1),
        ("2025-06", 0),
    ]
    assert value("monthly_active_users", 2024) == 1  # March 2025: active2
    assert value("monthly_active_users", quarter=1) == 0  # June 2025


def test_user_satisfaction_uses_platform_surveys_of_the_year(planted):
    assert value("user_satisfaction") == Decimal("4.33")
    assert value("user_satisfaction", 2023) is None


def test_events_per_month(planted, admin_user):
    theme, _ = EventTheme.objects.get_or_create(name="DX")
    from tests.evaluation.conftest import at

    for start in [
        at(2025, 4, 1, 10),
        at(2025, 10, 1, 10),
        at(2026, 3, 31, 10),
        at(2025, 3, 31, 10),
    ]:
        Event.objects.create(
            title="ピッチ会",
            theme=theme,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            capacity=30,
            registration_deadline=start - datetime.timedelta(days=3),
        )
    result = kpi_compute("events_per_month", FY)
    assert (result.numerator, result.denominator) == (3, 12)
    assert result.value == Decimal("0.3")


def test_platform_availability(planted):
    result = kpi_compute("platform_availability", FY)
    assert (result.numerator, result.denominator) == (3, 4)
    assert result.value == Decimal("75.0")


def test_coordinator_success_rate(planted):
    result = kpi_compute("coordinator_success_rate", FY)
    assert (result.numerator, result.denominator) == (1, 2)
    assert result.value == Decimal("50.0")


def test_coordinator_figures_fall_back_to_coordinator_accounts(planted, no_coordination):
    assert value("coordinators") == 1
    assert value("cases_per_coordinator") == Decimal("1.0")  # p1 / 1 coordinator
    for code in ("training_sessions", "network_meetings", "staff_trained", "staff_skills"):
        result = kpi_compute(code, FY)
        assert result.value is None
        assert result.note  # says why there is no figure


def test_coordinator_figures_from_portal(planted, coordination):
    assert value("coordinators") == 32
    assert value("cases_per_coordinator") == Decimal("12.3")
    # A ward view cannot use the all-ward figure: p1 / the ward's 1 coordinator account.
    assert value("cases_per_coordinator", ward=planted["chiyoda"]) == Decimal("1.0")
    assert value("training_sessions") == 25
    assert value("network_meetings") == 5
    assert value("staff_trained") == Decimal("48.3")
    assert value("staff_skills") == Decimal("20.0")


def test_continuation_rates(planted):
    one = kpi_compute("continuation_1y", FY)
    assert (one.numerator, one.denominator, one.value) == (1, 2, Decimal("50.0"))
    assert value("continuation_2y") == Decimal("100.0")
    assert value("continuation_2y", 2024) is None


def test_average_improvement(planted):
    improvements = indicator_improvements(FY)
    assert sorted(item["change"] for item in improvements) == [Decimal("25.0"), Decimal("50.0")]
    assert value("average_improvement") == Decimal("37.5")
    # Measured only in 年度2025: nothing counts for 年度2024.
    assert value("average_improvement", 2024) is None


def test_evaluation_coverage(planted):
    result = kpi_compute("evaluation_coverage", FY)
    # Active: p1, p2, p3, p5 (p4 was cancelled); measured in the 年度: p1.
    assert (result.numerator, result.denominator) == (1, 4)
    assert result.value == Decimal("25.0")
    assert {p.title for p in result.records} == {"子育てひろば", "学習支援", "長期事業"}


def test_committee_and_actions(planted):
    assert value("committee_score") == Decimal("4.00")
    assert value("committee_score", 2024) == Decimal("1.00")
    actions = kpi_compute("actions_implemented", FY)
    assert (actions.numerator, actions.denominator, actions.value) == (2, 3, Decimal("66.7"))


def test_cases_reused_by_another_ward(planted):
    assert value("cases_reused") == 1
    assert value("cases_reused", 2026) == 1
    assert value("cases_reused", ward=planted["setagaya"]) == 1
    assert value("cases_reused", ward=planted["chiyoda"]) == 0


def test_reports_published(planted):
    # Reports on 年度2025: the annual (published twice), Q1, and Q2 published on 1 April 2026.
    assert value("reports_published") == 3
    assert value("reports_published", 2026) == 0
    assert value("reports_published", quarter=2) == 1


def test_quarter_restricts_the_period(planted):
    assert value("collaborations_created", quarter=1) == 1
    assert value("collaborations_created", quarter=4) == 1
    assert value("collaborations_created", quarter=2) == 0


def test_gap_by_field(planted):
    rows = {row["field"].name: row for row in gap_by_field(fiscal_year=FY)}
    assert rows["高齢者支援"]["need"] == Decimal("66.7")
    assert rows["高齢者支援"]["coverage"] == Decimal("33.3")
    assert rows["高齢者支援"]["gap"] == Decimal("33.4")
    assert rows["子育て支援"]["gap"] == Decimal("0.0")
    assert rows["教育・人材育成"]["need"] == Decimal("0.0")
    assert next(iter(rows)) == "高齢者支援"  # largest gap first


def test_a_year_without_data_says_so(db):
    results = kpis_for(2010)
    assert all(r.value in (None, 0) for r in results)
    assert kpi_compute("match_success_rate", 2010).value is None
