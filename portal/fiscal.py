"""The Japanese fiscal year (年度, April → March), its quarters, 和暦 (令和), and the one way a
date, a 年度 or an amount of yen is written for people (portal/templatetags/portal_dates.py).

The ground floor for every app: no app re-derives a 年度 or its bounds or formats a date itself.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone, translation

REIWA_START = datetime.date(2019, 5, 1)
HEISEI_START = datetime.date(1989, 1, 8)


def fiscal_year_of(day: datetime.date | datetime.datetime) -> int:
    """The 年度 a date falls in: 2025-03-31 → 2024, 2025-04-01 → 2025."""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def fiscal_year_range(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day (inclusive) of a 年度: (FY-04-01, FY+1-03-31)."""
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def quarter_range(fiscal_year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """Q1 = April–June, Q2 = July–September, Q3 = October–December, Q4 = January–March."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1–4")
    start_month = 4 + (quarter - 1) * 3
    year = fiscal_year + (start_month - 1) // 12
    month = (start_month - 1) % 12 + 1
    start = datetime.date(year, month, 1)
    end_month = month + 2
    next_first = (
        datetime.date(year + 1, 1, 1) if end_month == 12 else datetime.date(year, end_month + 1, 1)
    )
    return start, next_first - datetime.timedelta(days=1)


def period_range(
    fiscal_year: int, quarter: int | None = None
) -> tuple[datetime.date, datetime.date]:
    return quarter_range(fiscal_year, quarter) if quarter else fiscal_year_range(fiscal_year)


def quarter_of(day: datetime.date) -> int:
    return ((day.month - 4) % 12) // 3 + 1


def datetime_range(date_from: datetime.date, date_to: datetime.date):
    """Aware datetimes [start of date_from, start of the day after date_to) in local time."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def fiscal_year_instants(fiscal_year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """[first instant, first instant after) of a 年度 in Tokyo time, for comparing timestamps.

    ``created_at__date__gte=…`` means the same but makes SQLite call a Python function on every
    row (half a second over 10,000 issues) and keeps PostgreSQL from using an index on the
    column; comparing with aware datetimes keeps the comparison in the database.
    """
    return datetime_range(*fiscal_year_range(fiscal_year))


def months_in(date_from: datetime.date, date_to: datetime.date) -> list[datetime.date]:
    """First day of each month from date_from to date_to."""
    months = []
    cursor = date_from.replace(day=1)
    while cursor <= date_to:
        months.append(cursor)
        cursor = (cursor + datetime.timedelta(days=32)).replace(day=1)
    return months


def wareki_year(year: int, *, day: datetime.date | None = None) -> str:
    """令和/平成 name of a Western year: 2019 → 令和元年 (from 1 May), 2025 → 令和7年."""
    if day is None:
        day = datetime.date(year, 12, 31)
    if day >= REIWA_START:
        number = year - 2018
        era = "令和"
    elif day >= HEISEI_START:
        number = year - 1988
        era = "平成"
    else:
        return f"{year}年"
    return f"{era}{'元' if number == 1 else number}年"


def wareki_date(day: datetime.date) -> str:
    """2019-05-01 → 令和元年5月1日; 2025-04-01 → 令和7年4月1日 (no weekday: see date_label)."""
    return f"{wareki_year(day.year, day=day)}{day.month}月{day.day}日"


# --- the one way dates, 年度 and yen are written for people (portal_dates filters use these) ---

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def english(language: str | None = None) -> bool:
    """Whether text is written in English: the given language, else the active one."""
    return (language or translation.get_language() or "ja").startswith("en")


def local_day(value: datetime.date | datetime.datetime) -> datetime.date:
    """The Tokyo date of an aware datetime (the date itself for a date)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def date_label(
    value: datetime.date | datetime.datetime, *, wareki: bool = False, language: str | None = None
) -> str:
    """A date for people, with its weekday, in the active language (or `language`).

    2026-04-01 → 「2026年4月1日（水）」, wareki → 「令和8年4月1日（水）」;
    English → "Wed 1 April 2026", wareki → "Wed 1 April 2026 (Reiwa 8)".
    An aware datetime is shown as its Tokyo date.
    """
    day = local_day(value)
    if english(language):
        text = f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
        if wareki and day >= HEISEI_START:
            era = "Reiwa" if day >= REIWA_START else "Heisei"
            number = day.year - (2018 if era == "Reiwa" else 1988)
            text += f" ({era} {number})"
        return text
    head = wareki_date(day) if wareki else f"{day.year}年{day.month}月{day.day}日"
    return f"{head}（{WEEKDAYS_JA[day.weekday()]}）"


def datetime_label(
    moment: datetime.datetime,
    *,
    wareki: bool = False,
    seconds: bool = False,
    language: str | None = None,
) -> str:
    """An instant in Tokyo time: 「2026年4月1日（水） 14:05」 / "Wed 1 April 2026, 14:05"
    (with `seconds`, 14:05:09: for logs and job timings)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    day = date_label(local, wareki=wareki, language=language)
    separator = ", " if english(language) else " "
    return f"{day}{separator}{local:%H:%M:%S}" if seconds else f"{day}{separator}{local:%H:%M}"


def fiscal_year_label(fiscal_year: int, *, language: str | None = None) -> str:
    """「2026年度（令和8年度）」 / "FY2026". A 年度 is named after the era of its 1 April,
    except FY2019, which began under 平成 but is conventionally called 令和元年度."""
    if english(language):
        return f"FY{fiscal_year}"
    day = REIWA_START if fiscal_year == 2019 else datetime.date(fiscal_year, 4, 1)
    era = wareki_year(fiscal_year, day=day)
    if era == f"{fiscal_year}年":  # before 平成: no era name to add
        return f"{fiscal_year}年度"
    return f"{fiscal_year}年度（{era.removesuffix('年')}年度）"


def period_label(
    fiscal_year: int, quarter: int | None = None, *, language: str | None = None
) -> str:
    """「2025年度（令和7年度） 第2四半期」 / "FY2025 Q2"; the 年度 alone without a quarter."""
    label = fiscal_year_label(fiscal_year, language=language)
    if not quarter:
        return label
    return f"{label} Q{quarter}" if english(language) else f"{label} 第{quarter}四半期"


def yen_label(amount: int | Decimal | None, *, language: str | None = None) -> str:
    """An amount of money with thousands separators: 「1,234,567円」 / "¥1,234,567"."""
    value = int(amount or 0)
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,}"
    return f"{sign}¥{digits}" if english(language) else f"{sign}{digits}円"


def date_with_weekday(day: datetime.date) -> str:
    """`day` as a Japanese reader expects it in a mail: 2026年12月3日（木）."""
    return date_label(day, language="ja")


def tokyo_span(starts: datetime.datetime, ends: datetime.datetime) -> str:
    """An event's time in Tokyo: 2026年12月3日（木）14:00〜16:00 (the end's date is added when
    it falls on another day). `starts` and `ends` are aware datetimes, as stored."""
    start, end = timezone.localtime(starts), timezone.localtime(ends)
    text = f"{date_with_weekday(start.date())} {start:%H:%M}〜"
    if end.date() != start.date():
        text += f"{date_with_weekday(end.date())} "
    return text + f"{end:%H:%M}"
