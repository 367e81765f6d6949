"""An import killed half way (kill -9 of the process, mid-transaction) leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.db import connection

from issues.models import Issue
from tests.faults.conftest import database_url
from tests.faults.harness import ROOT, wait_for
from tests.issues.factories import IssueFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

ROWS = 3000
APP_NAME = "import-under-test"


def _csv(path, rows: int) -> None:
    lines = ["ref,title,description,ward,category"]
    lines += [
        f"K-{i:05d},見守りの担い手不足 {i},一人暮らしの高齢者を見守る仕組みが必要です。,千代田区,高齢者支援"
        for i in range(rows)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _import_transaction_age() -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MAX(EXTRACT(EPOCH FROM now() - xact_start)), 0)"
            " FROM pg_stat_activity WHERE application_name = %s",
            [APP_NAME],
        )
        return float(cursor.fetchone()[0])


def _import_has_written() -> bool:
    """The import's transaction has written rows (PostgreSQL gave it a transaction id) and has
    not ended: the first batch of issues is in, uncommitted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND backend_xid IS NOT NULL",
            [APP_NAME],
        )
        return cursor.fetchone()[0] > 0


def _import(path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": APP_NAME}
    return subprocess.Popen(  # nosec B603 - fixed argv
        [sys.executable, "manage.py", "import_issues", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_killing_an_import_mid_transaction_writes_nothing(tmp_path):
    IssueFactory(ref="BEFORE-1")
    before = (Issue.objects.count(), Issue.history.count())
    path = tmp_path / "issues.csv"
    _csv(path, ROWS)

    process = _import(path)
    # Rows are written in batches of 500 inside the import's one transaction: kill it once the
    # first batch is in and before the last (3,000 rows leave five more batches to write).
    wait_for(_import_has_written, timeout=90, interval=0.01, what="the import writing")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    assert process.returncode == -signal.SIGKILL
    wait_for(lambda: _import_transaction_age() == 0, timeout=30, what="the backend to go away")
    assert (Issue.objects.count(), Issue.history.count()) == before
