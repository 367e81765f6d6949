"""Text kept as its msgid and parameters, written out in the language of whoever reads it.

A notice stored as finished text stays in the language of the request that wrote it: an
English-speaking coordinator's action left English notices for Japanese readers, and the
Japanese ones read Japanese in the English UI. ``LocalText`` keeps the Japanese msgid and the
parameters instead (``stored()``: a JSON-able dict), and ``str()`` translates it at display:

    LocalText(gettext_noop("新しいメッセージ: %(title)s"), {"title": title})

The msgid is wrapped in ``gettext_noop`` so that makemessages finds it. A parameter is kept
as given when it is data (a title, a name); a translatable one (a lazy string such as a choice
label, or another LocalText) is kept as its msgid and translated too; a ``datetime.date`` or
an aware ``datetime`` is written as a date or a Tokyo time in the reader's language
(portal.fiscal.date_label / datetime_label).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from portal.fiscal import date_label, datetime_label


def _store(value: object) -> Any:
    if isinstance(value, LocalText):
        return {"text": value.stored()}
    if isinstance(value, Promise):
        with translation.override("ja"):
            return {"text": {"key": str(value)}}
    if isinstance(value, datetime.datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    return "" if value is None else str(value)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        if "text" in value:
            return str(LocalText.from_stored(value["text"]))
        if "moment" in value:
            return datetime_label(datetime.datetime.fromisoformat(value["moment"]))
        if "date" in value:
            return date_label(datetime.date.fromisoformat(value["date"]))
    return str(value)


class LocalText:
    """A msgid (Japanese) and its %-parameters; ``str()`` gives it in the active language."""

    def __init__(self, key: str, params: Mapping[str, object] | None = None) -> None:
        self.key = key
        self.params = {name: _store(value) for name, value in (params or {}).items()}

    def __str__(self) -> str:
        text = gettext(self.key)
        if not self.params:
            return text
        return text % {name: _show(value) for name, value in self.params.items()}

    def __mod__(self, params: Mapping[str, object]) -> LocalText:
        """The same msgid with `params`, as `_("…") % params` reads for a finished string."""
        return LocalText(self.key, params)

    def __repr__(self) -> str:
        return f"LocalText({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalText) and self.stored() == other.stored()

    __hash__ = None  # type: ignore[assignment]

    def stored(self) -> dict[str, Any]:
        """{"key": msgid, "params": {...}} for a JSONField; from_stored gives it back."""
        return {"key": self.key, "params": self.params} if self.params else {"key": self.key}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> LocalText:
        text = cls(str(data.get("key", "")))
        text.params = dict(data.get("params") or {})
        return text

    def japanese(self) -> str:
        """The text as a Japanese reader sees it (what a search or the admin shows)."""
        with translation.override("ja"):
            return str(self)
