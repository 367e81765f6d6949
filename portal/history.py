"""Who made a change, and why, in the audit trail (django-simple-history)."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# simple-history's own labels ("Created"…) are English msgids without a Japanese catalogue.
HISTORY_TYPES = {"+": _("新規作成"), "~": _("内容の変更"), "-": _("削除")}


def history_stamp[Row: models.Model](instance: Row, user, reason: str | Promise = "") -> Row:
    """Mark the next save of `instance` with its author (`user`, None for the system) and reason.

    django-simple-history reads these two attributes when it writes the history row of the
    save; setting them in one place keeps every service's audit trail alike. A translatable
    reason (a gettext_lazy string) is stored as its Japanese msgid so that history_reason_label
    shows it in the reader's language; a plain string (a person's note) is stored as given.
    """
    instance._history_user = user  # type: ignore[attr-defined]
    if isinstance(reason, Promise):
        with translation.override("ja"):
            reason = str(reason)
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    return instance


def history_type_label(history_type: str) -> str:
    """新規作成 / 内容の変更 / 削除 for a history row's type (+ ~ -), in the active language."""
    label = HISTORY_TYPES.get(history_type)
    return str(label) if label is not None else history_type


def history_reason_label(reason: str | None) -> str:
    """A stored reason in the active language: a msgid stored by history_stamp is translated,
    a person's own note (no msgid) comes back unchanged."""
    return gettext(reason) if reason else ""
