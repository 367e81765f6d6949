"""Fixtures of the matching tests: a small world of issues and resources whose texts pair up."""

from __future__ import annotations

import pytest

from matching.runs.services import _context_cache
from matching.scoring import engine_cache_clear


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine_cache_clear()
    _context_cache.clear()
    yield
    engine_cache_clear()
    _context_cache.clear()
