"""The one way dates, 年度 and yen are written (portal.fiscal + the portal_dates filters)."""

import datetime

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from portal import fiscal


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load portal_dates %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("day", "ja", "en"),
    [
        (datetime.date(2026, 4, 1), "2026年4月1日（水）", "Wed 1 April 2026"),
        (datetime.date(2026, 3, 29), "2026年3月29日（日）", "Sun 29 March 2026"),
        (datetime.date(2025, 12, 27), "2025年12月27日（土）", "Sat 27 December 2025"),
        (datetime.date(2024, 2, 29), "2024年2月29日（木）", "Thu 29 February 2024"),
        (datetime.date(2026, 1, 5), "2026年1月5日（月）", "Mon 5 January 2026"),
    ],
)
def test_a_date_has_its_weekday_in_both_languages(day, ja, en):
    assert render("{{ d|date_label }}", "ja", d=day) == ja
    assert render("{{ d|date_label }}", "en", d=day) == en


@pytest.mark.parametrize(
    ("day", "ja", "en"),
    [
        (datetime.date(2019, 4, 30), "平成31年4月30日（火）", "Tue 30 April 2019 (Heisei 31)"),
        (datetime.date(2019, 5, 1), "令和元年5月1日（水）", "Wed 1 May 2019 (Reiwa 1)"),
        (datetime.date(2026, 4, 1), "令和8年4月1日（水）", "Wed 1 April 2026 (Reiwa 8)"),
    ],
)
def test_wareki_across_the_era_boundary(day, ja, en):
    assert render('{{ d|date_label:"wareki" }}', "ja", d=day) == ja
    assert render('{{ d|date_label:"wareki" }}', "en", d=day) == en


def test_an_instant_is_shown_in_tokyo_time():
    # 15:30 UTC on 31 March is 00:30 on Wednesday 1 April in Tokyo.
    moment = datetime.datetime(2026, 3, 31, 15, 30, 9, tzinfo=datetime.UTC)
    assert render("{{ m|date_label }}", "ja", m=moment) == "2026年4月1日（水）"
    assert render("{{ m|datetime_label }}", "ja", m=moment) == "2026年4月1日（水） 00:30"
    assert render("{{ m|datetime_label }}", "en", m=moment) == "Wed 1 April 2026, 00:30"
    assert render('{{ m|datetime_label:"seconds" }}', "en", m=moment) == (
        "Wed 1 April 2026, 00:30:09"
    )
    assert render('{{ m|datetime_label:"wareki,seconds" }}', "ja", m=moment) == (
        "令和8年4月1日（水） 00:30:09"
    )


@pytest.mark.parametrize(
    ("year", "ja", "en"),
    [
        (2026, "2026年度（令和8年度）", "FY2026"),
        (2019, "2019年度（令和元年度）", "FY2019"),
        (2018, "2018年度（平成30年度）", "FY2018"),
    ],
)
def test_fiscal_years(year, ja, en):
    assert render("{{ y|fy_label }}", "ja", y=year) == ja
    assert render("{{ y|fy_label }}", "en", y=year) == en


def test_money_has_thousands_separators_in_the_active_language():
    assert render("{{ n|yen }}", "ja", n=1234567) == "1,234,567円"
    assert render("{{ n|yen }}", "en", n=1234567) == "¥1,234,567"
    assert render("{{ n|yen }}", "ja", n=None) == "0円"
    assert fiscal.yen_label(-5000, language="en") == "-¥5,000"


def test_an_empty_date_leaves_room_for_a_default():
    assert render('{{ d|date_label|default:"—" }}', "ja", d=None) == "—"


def test_an_unknown_style_is_a_template_error():
    with pytest.raises(TemplateSyntaxError):
        render('{{ d|date_label:"heisei" }}', "ja", d=datetime.date(2026, 4, 1))
