"""Every figure shown or exported is rounded half up (四捨五入), never half to even."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from portal.rounding import figure_text, half_up, percent


@pytest.mark.parametrize(
    "value,places,expected",
    [
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # round() gives 2
        (3.5, 0, "4"),
        (4.45, 1, "4.5"),  # the float 4.45 is 4.4500000000000001776…: read as typed
        (0.125, 2, "0.13"),  # f"{Decimal('0.125'):.2f}" gives 0.12
        (2.675, 2, "2.68"),  # round(2.675, 2) gives 2.67
        (Decimal("188.65"), 1, "188.7"),
        (-2.5, 0, "-3"),
        (7, 1, "7.0"),
    ],
)
def test_halves_go_up(value, places, expected):
    assert half_up(value, places) == Decimal(expected)
    assert str(half_up(value, places)) == expected


def test_nothing_stays_nothing():
    assert half_up(None) is None
    assert half_up("") is None
    assert half_up(float("nan")) is None
    assert percent(3, 0) is None
    assert figure_text(None) == ""


@pytest.mark.parametrize(
    "part,whole,expected",
    [(1, 8, "12.5"), (1, 3, "33.3"), (2, 3, "66.7"), (1, 16, "6.3"), (1887, 1000, "188.7")],
)
def test_percent_one_decimal_half_up(part, whole, expected):
    assert percent(part, whole) == Decimal(expected)


def test_figure_text_groups_and_trims():
    assert figure_text(1234.5) == "1,235"
    assert figure_text(1234567.125, 2) == "1,234,567.13"
    assert figure_text(4.0, 2, trim=True) == "4"
    assert figure_text(-0.4) == "0"


def test_template_filters_round_half_up():
    rendered = Template(
        "{% load figures evaluation_tags %}"
        "{{ a|half_up:1 }} {{ b|share_percent }} {{ c|share_percent:1 }} {{ d|kpi_value }} "
        "{{ e|share_percent }}"
    ).render(Context({"a": 4.45, "b": 0.125, "c": 0.12345, "d": Decimal("2.345"), "e": None}))
    # widthratio / round() would show 12% for 0.125 and kpi_value used to show 2.34.
    assert rendered == "4.5 13% 12.3% 2.35 —"
