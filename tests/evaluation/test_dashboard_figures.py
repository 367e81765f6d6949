"""The KPI dashboard: the same figures as kpi_compute, cached past years that say their age and
are dropped when a record changes, and a number of queries that does not grow with the rows."""

import datetime

from django.db import reset_queries
from django.urls import reverse

from evaluation.dashboard import kpi_dashboard, kpi_sources_changed
from evaluation.kpi import KPI_SPECS, kpi_compute
from evaluation.models import Measurement, Review
from tests.evaluation.factories import IndicatorFactory, MemberFactory
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.portal.factories import ward

YEARS = [2021, 2022, 2023, 2024, 2025]


def test_dashboard_figures_are_those_of_kpi_compute(planted):
    figures = kpi_dashboard(2025, None, YEARS)
    for kpi in figures.kpis:
        assert kpi.value == kpi_compute(kpi.code, 2025).value, kpi.code
    for spec in KPI_SPECS:
        expected = [kpi_compute(spec.code, fy).value for fy in YEARS]
        assert figures.trends[spec.code] == expected, spec.code
    # Served again from the cache for 2021–2024: the same figures.
    assert kpi_dashboard(2025, None, YEARS).trends == figures.trends


def test_ward_figures_are_those_of_kpi_compute(planted):
    chiyoda = ward("13101")
    figures = kpi_dashboard(2025, chiyoda, YEARS)
    for spec in KPI_SPECS:
        expected = [kpi_compute(spec.code, fy, chiyoda).value for fy in YEARS]
        assert figures.trends[spec.code] == expected, spec.code


def test_cached_years_are_recounted_when_a_record_changes(planted):
    before = kpi_dashboard(2026, None, [2025, 2026])
    assert before.trend_as_of is not None  # 2025 came from the cache
    assert before.trends["committee_score"][0] == kpi_compute("committee_score", 2025).value
    project = planted["projects"][0]
    Review.objects.create(
        project=project,
        member=MemberFactory(),
        kind="annual",
        fiscal_year=2025,
        score=1,
        reviewed_on=datetime.date(2026, 2, 2),
    )
    after = kpi_dashboard(2026, None, [2025, 2026])
    assert after.trends["committee_score"][0] == kpi_compute("committee_score", 2025).value
    assert after.trends["committee_score"][0] != before.trends["committee_score"][0]


def test_a_login_does_not_drop_the_cache(planted, evaluator, client):
    first = kpi_dashboard(2026, None, [2025, 2026]).trend_as_of
    client.force_login(evaluator)  # saves last_login only
    assert kpi_dashboard(2026, None, [2025, 2026]).trend_as_of == first


def test_page_says_when_past_years_were_counted(client, planted, evaluator):
    client.force_login(evaluator)
    html = client.get(reverse("evaluation:dashboard")).content.decode()
    assert "時点の集計です" in html


def _grow(n: int) -> None:
    for i in range(n):
        project = ProjectFactory(title=f"増加{i}", start_date=datetime.date(2024 + i % 3, 5, 1))
        indicator = IndicatorFactory(project=project, name=f"指標{i}")
        for day in (datetime.date(2025, 5, 1), datetime.date(2026, 5, 1)):
            Measurement.objects.create(indicator=indicator, measured_on=day, value=10 + i)
        IssueFactory()


def test_dashboard_queries_do_not_grow_with_rows(client, evaluator, django_assert_max_num_queries):
    client.force_login(evaluator)
    _grow(3)
    client.get(reverse("evaluation:dashboard"))
    # The connection keeps at most 9,000 queries: a full log would make the count look 0.
    reset_queries()
    with django_assert_max_num_queries(12):  # kept figures: session, user, menu, form
        client.get(reverse("evaluation:dashboard"))
    kpi_sources_changed()  # computed afresh, past years included
    reset_queries()
    with django_assert_max_num_queries(200) as small:
        client.get(reverse("evaluation:dashboard"))
    queries_small = len(small)
    _grow(30)
    kpi_sources_changed()
    reset_queries()
    with django_assert_max_num_queries(queries_small):
        assert client.get(reverse("evaluation:dashboard")).status_code == 200


def test_page_says_when_its_figures_were_counted(client, planted, evaluator):
    client.force_login(evaluator)
    html = client.get(reverse("evaluation:dashboard"), {"fy": 2025}).content.decode()
    assert "時点の集計です（記録が変わったとき、または1分ごとに集計し直します）" in html


def test_payments_due_total_judges_every_project_in_two_queries(db, django_assert_max_num_queries):
    from evaluation import measurements, services
    from evaluation.selectors import payments_due_total

    def project_with_line(value, threshold, verification):
        project = ProjectFactory(start_date=datetime.date(2025, 4, 1))
        indicator = IndicatorFactory(project=project)
        services.payment_schedule_add(
            project=project,
            indicator=indicator,
            threshold=threshold,
            amount=100_000,
            verification_date=verification,
        )
        measurements.measurement_record(
            project=project, indicator=indicator, measured_on="2025-06-01", value=value
        )

    project_with_line(120, 100, datetime.date(2025, 12, 31))  # achieved
    project_with_line(80, 100, datetime.date(2025, 12, 31))  # not achieved
    project_with_line(120, 100, datetime.date(2026, 4, 1))  # next 年度: not counted
    reset_queries()
    with django_assert_max_num_queries(2):
        totals = payments_due_total(fiscal_year=2025)
    assert totals == {"lines": 2, "scheduled": 200_000, "due": 100_000}
