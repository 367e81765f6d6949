"""The demo's sign-in activity and health probes (issue #16, item 9): 月間アクティブユーザー数 and
プラットフォーム稼働率 have a value in every 年度 of the demo's history, a partner is active only
once their organisation is registered, and a second load adds nothing."""

from __future__ import annotations

import datetime

from django.utils import timezone

from evaluation.kpi import demo as usage_demo
from evaluation.kpi import kpi_compute
from portal.demo import users
from portal.demo.history import backdate
from portal.fiscal import fiscal_year_of
from portal.models import DailyActivity, HealthCheck
from portal.registry import DemoContext
from tests.partners.factories import OrganizationFactory, partner_user


def test_every_demo_year_has_monthly_active_users_and_availability(db):
    users.load(DemoContext(seed=20260401, password="x", log=lambda message: None))
    late = OrganizationFactory(name="株式会社おそい登録")
    backdate(late, datetime.date(2024, 10, 15))
    member = partner_user(late, "late-member")
    today = timezone.localdate()

    added = usage_demo.load(today)
    assert all(added), added
    # Every 年度 from FY2023 to the one a month ago (in its first days a 年度 has no month yet).
    for fiscal_year in range(2023, fiscal_year_of(today - datetime.timedelta(days=31)) + 1):
        mau = kpi_compute("monthly_active_users", fiscal_year).value
        available = kpi_compute("platform_availability", fiscal_year).value
        # Staff (12 demo accounts) sign in most months: a whole number of people, never a mean.
        assert mau is not None and mau == mau.to_integral_value() and 6 <= mau <= 13, mau
        assert available is not None and 98 <= available < 100, (fiscal_year, available)
    assert kpi_compute("monthly_active_users", 2022).value is None  # before the demo's history

    days = DailyActivity.objects.filter(user=member).values_list("day", flat=True)
    assert days and min(days) >= datetime.date(2024, 10, 15) and max(days) <= today
    assert not HealthCheck.objects.filter(at__gt=timezone.now()).exists()
    # Probes at 0, 6, 12 and 18 o'clock in Tokyo, as the demo says.
    assert {
        timezone.localtime(at).hour for at in HealthCheck.objects.values_list("at", flat=True)
    } == {
        0,
        6,
        12,
        18,
    }

    counts = DailyActivity.objects.count(), HealthCheck.objects.count()
    assert usage_demo.load(today) == (0, 0)
    assert (DailyActivity.objects.count(), HealthCheck.objects.count()) == counts
