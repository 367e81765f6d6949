"""Template filters for audit-trail rows (django-simple-history), in the reader's language.

``{{ h.history_type|history_type }}`` → 新規作成 / Created; simple-history's own labels are
English msgids with no Japanese catalogue, so they showed "Created" in the Japanese UI.
"""

from __future__ import annotations

from django import template

from portal.history import history_type_label

register = template.Library()

register.filter("history_type", history_type_label)
