import datetime

import pytest

from portal import fiscal


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (datetime.date(2025, 3, 31), 2024),
        (datetime.date(2025, 4, 1), 2025),
        (datetime.date(2025, 12, 31), 2025),
        (datetime.date(2026, 1, 1), 2025),
        (datetime.date(2026, 3, 31), 2025),
    ],
)
def test_fiscal_year_boundaries(day, year):
    assert fiscal.fiscal_year_of(day) == year


def test_fiscal_year_of_aware_datetime_uses_tokyo_time():
    # 2025-03-31 15:30 UTC is already 1 April 00:30 in Tokyo.
    moment = datetime.datetime(2025, 3, 31, 15, 30, tzinfo=datetime.UTC)
    assert fiscal.fiscal_year_of(moment) == 2025


def test_ranges_and_quarters():
    assert fiscal.fiscal_year_range(2025) == (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    assert fiscal.quarter_range(2025, 1) == (datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))
    assert fiscal.quarter_range(2025, 3) == (
        datetime.date(2025, 10, 1),
        datetime.date(2025, 12, 31),
    )
    assert fiscal.quarter_range(2025, 4) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert fiscal.quarter_of(datetime.date(2026, 2, 1)) == 4
    with pytest.raises(ValueError):
        fiscal.quarter_range(2025, 5)


def test_wareki():
    assert fiscal.wareki_date(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert fiscal.wareki_date(datetime.date(2019, 4, 30)) == "平成31年4月30日"
    assert fiscal.wareki_date(datetime.date(2025, 4, 1)) == "令和7年4月1日"
    assert fiscal.fiscal_year_label(2025) == "2025年度（令和7年度）"
    assert fiscal.fiscal_year_label(2019) == "2019年度（令和元年度）"
    assert fiscal.fiscal_year_label(2020) == "2020年度（令和2年度）"
    assert fiscal.fiscal_year_label(2018) == "2018年度（平成30年度）"
    assert fiscal.period_label(2025, 2) == "2025年度（令和7年度） 第2四半期"
    assert fiscal.period_label(2025, 2, language="en") == "FY2025 Q2"


def test_fiscal_year_instants_follow_tokyo_days():
    start, end = fiscal.fiscal_year_instants(2025)
    assert start.isoformat() == "2025-04-01T00:00:00+09:00"
    assert end.isoformat() == "2026-04-01T00:00:00+09:00"
