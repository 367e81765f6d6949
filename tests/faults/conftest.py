import os
import shutil

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.faults.harness import PrivateRedis, PrivateWorker


def pytest_runtest_setup(item):
    if item.get_closest_marker("faults") is None:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    require_service(engine.endswith("postgresql"), "PostgreSQL (the worker shares the test db)")
    require_service(shutil.which("redis-server") is not None, "redis-server")
    if item.get_closest_marker("pg_restart") is not None:
        require_service(
            bool(os.environ.get("PORTAL_PG_RESTART")),
            "PORTAL_PG_RESTART (a command that restarts the test PostgreSQL server)",
        )


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def private_services(tmp_path, settings):
    """A private Redis and a factory of private workers; this process sends tasks to them."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    settings.TASKS_IN_PROCESS = False
    settings.CELERY_BROKER_URL = redis.url(1)
    workers: list[PrivateWorker] = []

    def worker(**env) -> PrivateWorker:
        started = PrivateWorker(
            broker_url=redis.url(1),
            database_url=database_url(),
            workdir=tmp_path,
            # Short enough for a test to see a dead worker's tasks come back; still longer
            # than any chunk of the test world.
            CELERY_VISIBILITY_TIMEOUT=8,
            CELERY_UNACKED_RESTORE_INTERVAL=1,
            CELERY_UNACKED_MUTEX_EXPIRE=5,
            MATCHING_CHUNK_SIZE=40,
            **env,
        )
        workers.append(started)
        started.start()
        return started

    yield redis, worker
    for started in workers:
        started.stop()
        # Shown by pytest only when the test failed: what the worker saw.
        print(f"--- worker {started.name} log (tail)\n{started.log_tail(60)}")
    redis.stop()
