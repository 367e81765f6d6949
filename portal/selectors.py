"""Reads owned by portal."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from portal.models import Notification, User, Ward


def wards_all() -> QuerySet[Ward]:
    return Ward.objects.order_by("code")


def ward_by_code_or_name(value: str) -> Ward | None:
    """Resolves a ward given as a 5- or 6-digit code, a kanji name (区 optional) or English."""
    value = (value or "").strip()
    if not value:
        return None
    wards = {w.code: w for w in wards_all()}
    for ward in wards.values():
        if value in {ward.code, ward.code_with_check_digit, ward.name_ja, ward.name_en}:
            return ward
        if value == ward.name_ja.removesuffix("区") or value.lower() == ward.name_en.lower():
            return ward
    return None


def notifications_recent(*, user: User, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)[:limit]


def health_status() -> dict[str, str]:
    """Database, broker and worker status as words a person can read in a status page."""
    status: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # the health page must answer even when the database does not
        status["database"] = f"error: {exc.__class__.__name__}"
    if settings.TASKS_IN_PROCESS:
        status["broker"] = "in-process"
        status["worker"] = "in-process"
        return status
    from celery import current_app as app

    error = _broker_connect_error(timeout=2)
    if error:
        status["broker"] = f"error: {error}"
        status["worker"] = "unknown"
        return status
    status["broker"] = "ok"
    try:
        replies = app.control.inspect(timeout=1.0).ping() or {}
        status["worker"] = "ok" if replies else "no worker answered"
    except Exception as exc:
        status["worker"] = f"error: {exc.__class__.__name__}"
    return status


def _broker_connect_error(*, timeout: float) -> str | None:
    """The kind of error connecting to the broker raised, or None when it answered."""
    from celery import current_app as app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception as exc:  # any failure to connect means the same to the person waiting
        return exc.__class__.__name__
    return None


_broker_checked: dict[str, tuple[float, bool]] = {}
BROKER_CHECK_SECONDS = 10.0


def broker_reachable() -> bool:
    """Can tasks be sent to the workers now? Checked at most every 10 s per process, with a
    1-second connect timeout, so a down broker slows no page by more than that."""
    if settings.TASKS_IN_PROCESS:
        return True
    url = settings.CELERY_BROKER_URL
    now = time.monotonic()
    checked_at, ok = _broker_checked.get(url, (-BROKER_CHECK_SECONDS, False))
    if now - checked_at < BROKER_CHECK_SECONDS:
        return ok
    ok = _broker_connect_error(timeout=1) is None
    _broker_checked[url] = (now, ok)
    return ok


def coordination_figures(*, fiscal_year: int) -> dict:
    """Pillar-2 figures (coordinators, training, meetings, self-assessment, consultations)."""
    from portal.coordinators.services import coordination_figures as figures

    return figures(fiscal_year=fiscal_year)
