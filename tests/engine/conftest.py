"""The engine's caches are per process: every test here starts from a cold engine."""

from tests.matching.conftest import _fresh_engine_cache  # noqa: F401  (autouse fixture)
