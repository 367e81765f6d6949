"""Shared fixtures: fast settings, named users of every role, service guards."""

from __future__ import annotations

import os
import shutil
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.utils import translation

from portal.textengine import embedding
from tests.engine.fakes import FAKE_PATH, FakeEmbedder
from tests.portal.factories import UserFactory, ward

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_service(available: bool, what: str) -> None:
    """Skip on a developer's machine without the service; fail in CI, where it must exist."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available")


def worker_available() -> bool:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return False
    from config.celery import app

    try:
        return bool(app.control.inspect(timeout=2.0).ping())
    except Exception:
        return False


def pytest_runtest_setup(item):
    # Decided before any fixture runs: a skipped transactional test must not flush the database.
    if item.get_closest_marker("worker") is not None:
        require_service(worker_available(), "Redis broker with a running Celery worker")
    if item.get_closest_marker("browser") is not None:
        require_service(os.path.exists(CHROMIUM), "Chromium")


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(request.config.rootpath / "var" / "test-media")
    settings.PRIVATE_MEDIA_ROOT = str(request.config.rootpath / "var" / "test-private")
    # Unit tests run tasks in-process; tests marked `worker` use the real broker and worker.
    if request.node.get_closest_marker("worker") is None:
        settings.TASKS_IN_PROCESS = True
        # ...eagerly, inside the request: a test sees the outcome as soon as its request ends.
        settings.TASKS_IN_PROCESS_BACKGROUND = False
    # TF-IDF only unless a test sets an embedder (tests/engine uses a small fake one).
    settings.TEXT_EMBEDDER = ""
    cache.clear()
    # A test that switched the UI language (a request with another locale) must not leave
    # its language active for the next test's management commands and services.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    cache.clear()
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Empty the per-process caches of fitted indexes before and after every test.

    They are keyed by primary keys, and a rolled-back test hands the next one the same keys
    (SQLite reuses them): the demo test, run after others in one process, once ranked with a
    stale engine of an earlier test and left 品川区's coordinator nothing to review.
    """
    from issues import similarity
    from matching.engine import suggest
    from matching.runs.services import _context_cache
    from matching.scoring import engine_cache_clear
    from portal.support.services import _index_cache

    def clear() -> None:
        engine_cache_clear()
        _context_cache.clear()
        similarity._cache.clear()
        suggest._cache.clear()
        _index_cache.clear()

    clear()
    yield
    clear()


# Data migrations that seed reference rows: (module, function taking (apps, schema_editor)).
SEEDING_MIGRATIONS = [
    ("matching.migrations.0003_events_themes", "load"),
    ("evaluation.migrations.0004_default_rubric", "add_rubric"),
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table when they end; put the reference rows back.

    serialized_rollback does not cover it: in CI's full run the rows seeded by migrations
    (event themes, the rubric) were gone from the 14th browser test on. The seeding functions
    use get_or_create, so running them on the live app registry is a no-op when rows exist.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        transactional = _is_transactional(request)
        request.getfixturevalue("transactional_db" if transactional else "db")
        from portal.services import reference_data_ensure_loaded

        reference_data_ensure_loaded()
        if transactional:
            for module, function in SEEDING_MIGRATIONS:
                getattr(import_module(module), function)(django_apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coord_chiyoda", role="coordinator", ward=ward("13101"))


@pytest.fixture
def coordinator_other_ward(db):
    return UserFactory(username="coord_setagaya", role="coordinator", ward=ward("13112"))


@pytest.fixture
def approver(db):
    return UserFactory(username="approver_chiyoda", role="approver", ward=ward("13101"))


@pytest.fixture
def evaluator(db):
    return UserFactory(username="evaluator", role="evaluator")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def org_a(db):
    from tests.partners.factories import OrganizationFactory

    return OrganizationFactory(name="株式会社みなとテック")


@pytest.fixture
def org_b(db):
    from tests.partners.factories import OrganizationFactory

    return OrganizationFactory(name="城北大学", org_type="university")


@pytest.fixture
def partner_a(org_a):
    from tests.partners.factories import partner_user

    return partner_user(org_a, "partner_a")


@pytest.fixture
def partner_b(org_b):
    from tests.partners.factories import partner_user

    return partner_user(org_b, "partner_b")


@pytest.fixture
def fake_embedder(settings):
    """A deterministic embedder (tests.engine.fakes) in place of the packaged model."""
    settings.TEXT_EMBEDDER = FAKE_PATH
    FakeEmbedder.calls.clear()
    embedding._embedders.clear()
    yield FakeEmbedder
    embedding._embedders.clear()
