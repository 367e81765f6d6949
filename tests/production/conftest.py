import shutil

import pytest
from django.conf import settings

from tests.conftest import require_service


@pytest.fixture
def production_services():
    """PostgreSQL (the smoke test makes a database of its own there) and redis-server."""
    engine = settings.DATABASES["default"]["ENGINE"]
    require_service(engine.endswith("postgresql"), "PostgreSQL (DATABASE_URL=postgres://...)")
    require_service(shutil.which("redis-server") is not None, "redis-server")
