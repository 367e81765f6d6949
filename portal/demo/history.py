"""Registration dates of the demo's records, so every stock KPI (登録団体数, 地域課題データベースの
登録件数) has several 年度 of history instead of everything appearing on the day the demo loads.

Dates come from fixed windows, not from today, so that a second `load_demo` (or one on another
day) draws the same dates and finds the records it made (their 整理番号 carry the 年度).
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.db import models

ORGANISATIONS_FROM = datetime.date(2022, 10, 1)
ISSUES_FROM = datetime.date(2023, 4, 1)  # FY2023, the first 年度 of the demo's issues
# The last registration day: the partners' own proposals of the demo are at most 75 days old.
REGISTERED_UNTIL = datetime.date(2026, 6, 30)
TOKYO = ZoneInfo("Asia/Tokyo")


def registration_days(
    key: str, count: int, *, first: datetime.date, last: datetime.date = REGISTERED_UNTIL
) -> list[datetime.date]:
    """`count` days in [first, last], sorted, drawn from a generator seeded by `key` alone."""
    rng = random.Random(key)  # nosec B311 - demo data, not security
    span = (last - first).days + 1
    return sorted(first + datetime.timedelta(days=rng.randrange(span)) for _ in range(count))


def tokyo_at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """`hour`:00 in Tokyo on `day`, as an aware datetime (stored in UTC): when the demo's
    records say something happened."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TOKYO)


def backdate(instance: models.Model, day: datetime.date, *, also: tuple[str, ...] = ()) -> None:
    """Move a record's registration (`created_at` and the fields named in `also`), and the
    creation entry of its history, to `day`.

    Later history entries (a review, a status change made by the demo) keep their own dates.
    """
    when = tokyo_at(day)
    model = type(instance)
    model._default_manager.filter(pk=instance.pk).update(
        created_at=when, **dict.fromkeys(also, when)
    )
    history = getattr(model, "history", None)
    if history is not None:
        history.filter(id=instance.pk, history_type="+").update(history_date=when)
    instance.created_at = when  # type: ignore[attr-defined]
