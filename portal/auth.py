"""Login throttling: a per-account failure counter in the cache."""

from django.conf import settings
from django.core.cache import cache


def _key(username: str) -> str:
    return f"login-failures:{username.strip().lower()}"


def login_is_throttled(username: str) -> bool:
    return cache.get(_key(username), 0) >= settings.LOGIN_FAILURE_LIMIT


def login_failure_count(username: str) -> int:
    key = _key(username)
    timeout = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout)
        return 1


def login_failures_clear(username: str) -> None:
    cache.delete(_key(username))
