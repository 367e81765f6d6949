"""One allowance per client for the public forms that write (registration, consultation, FAQ).

A counter per (scope, client address) in the cache, reset when its window ends. The cache is
Redis in production, so every web process counts together; without Redis (the embedded
default) each process counts alone, which still bounds a single client hammering one server.
Kept in portal, with no library, because the three forms need exactly this and nothing more.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

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
