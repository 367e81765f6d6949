"""One allowance per client for the public forms that write (registration, consultation, FAQ).

A counter per (scope, client address) in the cache, reset when its window ends. The cache is
Redis in production, so every web process counts together; without Redis (the embedded
default) each process counts alone, which still bounds a single client hammering one server.
Kept in portal, with no library, because the three forms need exactly this and nothing more.
"""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from portal.client import client_ip


def client_address(request: HttpRequest) -> str:
    """The client as the rate limits count it: behind our proxy, its address (portal.client)."""
    return client_ip(request) or "-"


def rate_limit_spent(*, scope: str, client: str, limit: int, window: int) -> bool:
    """Counts one submission of ``client`` in ``scope``; True once ``limit`` per ``window``
    seconds is exceeded (the submission that is refused counts too)."""
    key = f"rate:{scope}:{client}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        # The counter expired between add and incr: this submission starts a new window.
        cache.set(key, 1, window)
        count = 1
    return count > limit


def _window_end_key(scope: str, client: str) -> str:
    return f"rate:{scope}:{client}:until"


def rate_limit_retry_at(*, scope: str, client: str, limit: int) -> datetime.datetime | None:
    """When ``client`` may submit again in ``scope`` (aware UTC), or None if it may now.

    Reads only: for forms whose allowance counts accepted submissions (``rate_limit_count``),
    so a person correcting a form is never locked out by their own mistakes.
    """
    if (cache.get(f"rate:{scope}:{client}") or 0) < limit:
        return None
    until = cache.get(_window_end_key(scope, client))
    return until or timezone.now()


def rate_limit_count(*, scope: str, client: str, window: int) -> None:
    """Counts one accepted submission of ``client`` in ``scope`` (a window of ``window`` s)."""
    cache.add(
        _window_end_key(scope, client), timezone.now() + datetime.timedelta(seconds=window), window
    )
    key = f"rate:{scope}:{client}"
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
