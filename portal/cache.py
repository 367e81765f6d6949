"""A Redis cache that keeps the portal working while Redis is down.

Redis is the broker and the shared cache. When it is unreachable, Django's RedisCache raises on
every call, and every screen that touches the cache (login throttling, rate limits, the KPI
dashboard) would answer 500. This backend answers from a per-process memory cache instead and
retries Redis after a short pause, so only matching (which needs the broker) is unavailable.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
RETRY_AFTER_SECONDS = 5.0


def _fallback_method(name: str):
    def method(self, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
            except UNREACHABLE:
                logger.warning("Redis cache unreachable; using this process's memory for now")
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
        return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocMemCache(f"redis-fallback-{server}", {"TIMEOUT": params.get("TIMEOUT")})
        self._down_until = 0.0

    add = _fallback_method("add")
    get = _fallback_method("get")
    set = _fallback_method("set")
    touch = _fallback_method("touch")
    delete = _fallback_method("delete")
    get_many = _fallback_method("get_many")
    has_key = _fallback_method("has_key")
    incr = _fallback_method("incr")
    set_many = _fallback_method("set_many")
    delete_many = _fallback_method("delete_many")
    clear = _fallback_method("clear")
