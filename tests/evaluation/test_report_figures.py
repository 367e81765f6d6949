"""The report's figures: the committee distribution rounded 四捨五入, bars that stay on the page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

from evaluation import charts
from evaluation.models import Review
from evaluation.report import committee_score_distribution, report_context, report_csv
from tests.evaluation.factories import MemberFactory
from tests.matching.factories import ProjectFactory


def test_committee_distribution_rounds_half_up():
    scores = [{"avg": avg} for avg in (4.5, 3.5, 2.5, 4.45, 4.4, 1.5, 5.0)]
    # Half to even would give 5:1 4:3 3:0 2:2 1:0 (4.5 → 4, 2.5 → 2, 1.5 → 2).
    assert committee_score_distribution(scores) == [(5, 2), (4, 3), (3, 1), (2, 1), (1, 0)]


@pytest.mark.django_db
def test_report_table_counts_a_four_and_a_half_as_five(monkeypatch):
    monkeypatch.setattr("evaluation.report.report_css", lambda: "")
    members = [MemberFactory(), MemberFactory()]
    for title, marks in (("見守り", (4, 5)), ("子育て", (3, 4)), ("防災", (2, 3))):
        project = ProjectFactory(title=title, start_date=datetime.date(2025, 6, 1))
        for member, score in zip(members, marks, strict=True):
            Review.objects.create(
                project=project,
                member=member,
                kind="annual",
                fiscal_year=2025,
                score=score,
                reviewed_on=datetime.date(2026, 2, 1),
            )
    context = report_context(fiscal_year=2025)
    assert context["score_distribution"] == [(5, 1), (4, 1), (3, 1), (2, 0), (1, 0)]


def _bars(svg: str) -> list[tuple[float, float]]:
    return [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="10"', svg)
    ]


def test_a_bar_above_the_axis_stops_there_and_says_its_value():
    width, label_width = 640, 300
    svg = str(
        charts.hbar_chart(
            [("利用者満足度", [Decimal("188.7")]), ("連携事業数", [Decimal("50.0")])],
            series=["目標に対する達成度（%）"],
            title="KPIの目標達成度",
            max_value=150,
            unit="%",
            label_width=label_width,
            width=width,
        )
    )
    plot_w = width - label_width - 60
    (_x1, w1), (_x2, w2) = _bars(svg)[:2]  # then the legend's swatch
    assert w1 == pytest.approx(plot_w)  # stops at the axis maximum
    assert w2 == pytest.approx(plot_w / 3, abs=0.1)
    assert "188.7%" in svg and "50%" in svg
    for match in re.finditer(r'<text x="([\d.]+)"[^>]*>([^<]+)</text>', svg):
        x, text = float(match.group(1)), match.group(2)
        if "text-anchor" in match.group(0):
            continue  # right-aligned texts end at x, inside the drawing
        assert x + charts.text_width(text, 9) <= width, f"{text!r} leaves the drawing"
    assert "<path" in svg  # the break mark on the bar that was cut


def test_a_long_label_that_would_leave_the_drawing_goes_inside_the_bar():
    svg = str(
        charts.hbar_chart(
            [("x", [Decimal("123456.7")])], series=["s"], title="t", max_value=100, unit="件/月"
        )
    )
    label = re.search(r'<text x="([\d.]+)"[^>]*text-anchor="end" fill="#fff">([^<]+)</text>', svg)
    assert label and label.group(2) == "123,456.7件/月"
    assert float(label.group(1)) <= 640


@pytest.mark.django_db
def test_csv_cells_are_rounded_half_up(monkeypatch):
    from evaluation.kpi.base import KpiResult

    row = KpiResult(code="x", label="満足度", pillar=1, unit="点", target=Decimal(4), baseline=None)
    row.value = Decimal("4.125")
    monkeypatch.setattr("evaluation.report.report_rows", lambda **kwargs: [row])
    text = report_csv(fiscal_year=2025).decode("utf-8-sig")
    assert ",4.13," in text  # not 4.12 (half to even)
