"""The load test in its short, bounded CI form: concurrent users over the staff screens, 0 errors."""

import re

import pytest
from django.db import connection

from benchmarks.loadgen import _opener, login, run_load
from tests.conftest import IN_CI, require_service
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory, ward

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_ten_concurrent_users_over_the_staff_screens_get_no_errors(live_server):
    # The live server's threads share one connection on in-memory SQLite: concurrency there
    # measures the test harness, not the portal. CI runs this on PostgreSQL.
    if connection.vendor != "postgresql":
        require_service(not IN_CI, "PostgreSQL for the load test")
        pytest.skip("load test needs PostgreSQL (set DATABASE_URL)")
    users = [
        UserFactory(username=f"load{i}", role="coordinator", ward=ward("13101")) for i in range(10)
    ]
    opener = _opener()
    login(opener, live_server.url, users[0].username, DEFAULT_PASSWORD)
    dashboard = opener.open(f"{live_server.url}/dashboard/").read().decode()
    nav = dashboard.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    paths = ["/dashboard/", *dict.fromkeys(re.findall(r'href="(/[^"]*)"', nav))]
    result = run_load(
        base_url=live_server.url,
        paths=paths,
        users=10,
        duration_s=5,
        credentials=[(u.username, DEFAULT_PASSWORD) for u in users],
        max_requests=2000,
    )
    assert result.requests > 20
    assert result.errors == 0, result.error_samples
