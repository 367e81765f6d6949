import os

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import IN_CI, require_service


def test_health_reports_database_and_task_mode(client, db):
    response = client.get(reverse("portal:health"))
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] in {"in-process", "ok"} or body["broker"].startswith("error")


@pytest.mark.postgres
def test_runs_on_postgresql_when_configured(db):
    configured = os.environ.get("DATABASE_URL", "").startswith("postgres")
    require_service(configured or not IN_CI, "DATABASE_URL pointing at PostgreSQL")
    if not configured:
        pytest.skip("DATABASE_URL not set: running on the embedded SQLite default")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        assert cursor.fetchone()[0] == "UTF8"
