"""The pilot → adoption KPI (実証から本格導入への移行率) on a planted status history: exact
values on both sides of the fiscal-year boundary, per ward and for all wards, per quarter."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from evaluation.kpi import KPI_BY_CODE, kpi_compute
from matching.projects.models import Project
from matching.projects.services import project_create, project_status_change
from tests.issues.factories import IssueFactory
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db
S = Project.Status
D = datetime.date


def _history(title: str, ward_code: str, org, *steps: tuple[str, datetime.date]) -> Project:
    project = project_create(
        title=title,
        issues=[IssueFactory()],
        organizations=[org],
        start_date=D(2024, 5, 1),
        ward=ward(ward_code),
    )
    for status, day in steps:
        project_status_change(project=project, status=status, changed_by=None, on=day)
    return project


@pytest.fixture
def pilots(org_a):
    chiyoda, setagaya = "13101", "13112"
    pilot = (S.PILOT, D(2024, 6, 1))
    _history("P1 adopted on 1 April 2025", chiyoda, org_a, pilot, (S.ADOPTED, D(2025, 4, 1)))
    _history(
        "P2 run on, adopted on the last day of the year",
        chiyoda,
        org_a,
        pilot,
        (S.CONTINUING, D(2025, 5, 1)),
        (S.ADOPTED, D(2026, 3, 31)),
    )
    _history("P3 ended without adoption", setagaya, org_a, pilot, (S.COMPLETED, D(2025, 10, 1)))
    _history("P4 cancelled in 年度2024", setagaya, org_a, pilot, (S.CANCELLED, D(2025, 3, 31)))
    _history(
        "P5 ended, reopened and adopted: its first conclusion counts",
        chiyoda,
        org_a,
        pilot,
        (S.COMPLETED, D(2025, 6, 1)),
        (S.CONTINUING, D(2025, 8, 1)),
        (S.ADOPTED, D(2025, 12, 1)),
    )
    _history("P6 pilot still running", chiyoda, org_a, pilot)
    _history("P7 cancelled before any pilot", chiyoda, org_a, (S.CANCELLED, D(2025, 5, 1)))


def result(fiscal_year=2025, ward_code=None, quarter=None):
    return kpi_compute(
        "pilot_adoption_rate", fiscal_year, ward(ward_code) if ward_code else None, quarter
    )


def test_all_wards_2025(pilots):
    r = result()
    assert (r.numerator, r.denominator, r.value) == (2, 4, Decimal("50.0"))
    assert [c.project.title[:2] for c in r.records] == ["P1", "P5", "P3", "P2"]


def test_one_ward_counts_its_own_projects(pilots):
    chiyoda = result(ward_code="13101")
    assert (chiyoda.numerator, chiyoda.denominator, chiyoda.value) == (2, 3, Decimal("66.7"))
    setagaya = result(ward_code="13112")
    assert (setagaya.numerator, setagaya.denominator, setagaya.value) == (0, 1, Decimal("0.0"))


def test_the_day_before_the_fiscal_year_belongs_to_the_year_before(pilots):
    r = result(fiscal_year=2024)
    assert (r.numerator, r.denominator, r.value) == (0, 1, Decimal("0.0"))
    assert r.records[0].project.title.startswith("P4")


def test_a_quarter(pilots):
    r = result(quarter=1)  # April–June 2025: P1 adopted, P5 ended
    assert (r.numerator, r.denominator, r.value) == (1, 2, Decimal("50.0"))


def test_no_concluded_pilot_is_no_data(pilots):
    assert result(fiscal_year=2023).value is None


def test_target_and_definition():
    spec = KPI_BY_CODE["pilot_adoption_rate"]
    assert spec.target == 40
    doc = spec.compute.__doc__ or ""
    assert "Numerator" in doc and "Denominator" in doc and "Urban Innovation JAPAN" in doc
