"""Who made a change, and why, in the audit trail (django-simple-history)."""

from __future__ import annotations

from django.db import models


def history_stamp[Row: models.Model](instance: Row, user, reason: str = "") -> Row:
    """Mark the next save of `instance` with its author (`user`, None for the system) and reason.

    django-simple-history reads these two attributes when it writes the history row of the
    save; setting them in one place keeps every service's audit trail alike.
    """
    instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    return instance
