"""Two writers at once on the embedded SQLite database wait for each other instead of one
answering 500 "database is locked" (issue #15, fifth probe: two POSTs to /issues/new/)."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


def _writer(path, results: list[str], delay: float) -> None:
    """Read, then write, inside one transaction begun the way Django's atomic() begins it."""
    time.sleep(delay)
    connection = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(path)}, "writer")
    try:
        connection.ensure_connection()
        connection._start_transaction_under_autocommit()
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM note")
        time.sleep(0.2)  # the other writer reads meanwhile
        cursor.execute("INSERT INTO note (body) VALUES ('x')")
        time.sleep(0.3)
        connection.connection.commit()
        results.append("ok")
    except Exception as exc:
        results.append(repr(exc))
    finally:
        connection.close()


def test_two_sqlite_writers_at_once_both_succeed(tmp_path, django_db_blocker):
    """The settings' SQLite OPTIONS (config/settings.py); before transaction_mode IMMEDIATE the
    second writer failed at once with "database is locked"."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("the embedded SQLite database's settings only")
    # Its own database file, not the test database: no test transaction around it.
    with django_db_blocker.unblock():
        path = tmp_path / "writers.sqlite3"
        setup = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(path)}, alias="setup")
        setup.cursor().execute("CREATE TABLE note (id integer primary key, body text)")
        setup.close()
        results: list[str] = []
        writers = [
            threading.Thread(target=_writer, args=(path, results, delay)) for delay in (0, 0.05)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert results == ["ok", "ok"]
