"""Demo records that no demo screen writes but two KPIs read: the days each user was signed in
(portal.DailyActivity → 月間アクティブユーザー数) and the portal's health probes
(portal.HealthCheck → プラットフォーム稼働率), over the demo's whole history so both KPIs have a
value in every 年度 of it (FY2023, the first 年度 of the demo's issues, to today).

Idempotent: a second `load_demo` (or one on a later day) adds only the days and probes that are
missing; the draws are seeded by a fixed key, so the days already stored are drawn again.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Min
from django.utils import timezone

from portal.demo.history import ISSUES_FROM, TOKYO, tokyo_at
from portal.fiscal import months_in
from portal.models import DailyActivity, HealthCheck, Role, User

ACTIVITY_FROM = ISSUES_FROM
# Staff sign in most months; partners less often at first, more as the platform settles in
# (the share of a partner's months with a sign-in grows linearly between these two).
STAFF_ACTIVE = 0.95
PARTNER_ACTIVE_FIRST, PARTNER_ACTIVE_LAST = 0.35, 0.65
DAYS_PER_ACTIVE_MONTH = (1, 4)
# The real schedule probes every 5 minutes (config.settings "health-probe"); the demo stores one
# probe every 6 hours, which gives the same share with 1/72 of the rows (load_demo stays quick).
PROBE_HOURS = (0, 6, 12, 18)
# A probe fails this often: the worker or broker restarting, now and then the database.
PROBE_FAILS = 0.006


def load(today: datetime.date) -> tuple[int, int]:
    """Add the missing activity days and health probes up to ``today`` (a Tokyo date).
    Returns (activity days added, probes added)."""
    return _activity(today), _probes(today)


def _activity(today: datetime.date) -> int:
    """Each user's signed-in days: from the later of ACTIVITY_FROM and their organisation's
    registration (staff from ACTIVITY_FROM), 1–4 days in each month they were active."""
    rng = random.Random("demo-activity")  # noqa: S311  # nosec B311 — demo data, not security
    users = (
        User.objects.filter(is_active=True)
        .annotate(registered=Min("membership__organization__created_at"))
        .order_by("pk")
        .values_list("pk", "role", "registered")
    )
    months = months_in(ACTIVITY_FROM, today)
    rows: list[DailyActivity] = []
    for user_id, role, registered in users:
        first = ACTIVITY_FROM
        if registered is not None:
            first = max(first, timezone.localtime(registered, TOKYO).date())
        for index, month in enumerate(months):
            share = STAFF_ACTIVE
            if role == Role.PARTNER:
                progress = index / max(1, len(months) - 1)
                share = (
                    PARTNER_ACTIVE_FIRST + (PARTNER_ACTIVE_LAST - PARTNER_ACTIVE_FIRST) * progress
                )
            # Drawn for every month, used or not, so one user's days do not shift another's.
            active, count = rng.random() < share, rng.randint(*DAYS_PER_ACTIVE_MONTH)
            last = min(
                today + datetime.timedelta(days=1),
                (month + datetime.timedelta(days=32)).replace(day=1),
            )
            days = [month + datetime.timedelta(days=rng.randrange(31)) for _ in range(count)]
            rows.extend(
                DailyActivity(user_id=user_id, day=day)
                for day in set(days)
                if active and first <= day < last and day.month == month.month
            )
    before = DailyActivity.objects.count()
    DailyActivity.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return DailyActivity.objects.count() - before


def _probes(today: datetime.date) -> int:
    """Four probes a day from ACTIVITY_FROM to now; about 0.6 % of them find a part down."""
    rng = random.Random("demo-probes")  # noqa: S311  # nosec B311 — demo data, not security
    now = timezone.now()
    stored = set(
        HealthCheck.objects.filter(at__gte=tokyo_at(ACTIVITY_FROM, 0)).values_list("at", flat=True)
    )
    wanted = []
    for offset in range((today - ACTIVITY_FROM).days + 1):
        day = ACTIVITY_FROM + datetime.timedelta(days=offset)
        for hour in PROBE_HOURS:
            at, fails, part = tokyo_at(day, hour), rng.random() < PROBE_FAILS, rng.randrange(10)
            if at > now or at in stored:
                continue
            # Mostly the worker (a deploy restarting it), sometimes the broker, rarely the database.
            down = "database" if part == 0 else "broker" if part < 3 else "worker"
            wanted.append(
                (
                    at,
                    {
                        name: not (fails and down == name)
                        for name in ("database", "broker", "worker")
                    },
                )
            )
    created = HealthCheck.objects.bulk_create(
        [
            HealthCheck(database_ok=ok["database"], broker_ok=ok["broker"], worker_ok=ok["worker"])
            for _at, ok in wanted
        ],
        batch_size=1000,
    )
    # `at` is auto_now_add (bulk_create stamps now): the probe times are written afterwards.
    for check, (at, _ok) in zip(created, wanted, strict=True):
        check.at = at
    HealthCheck.objects.bulk_update(created, ["at"], batch_size=1000)
    return len(created)
