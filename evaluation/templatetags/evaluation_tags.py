from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from evaluation.models import RespondentType
from portal.rounding import figure_text, to_decimal

register = template.Library()


@register.filter
def kpi_value(value) -> str:
    """A figure for people: 1,234 / 23.8 / 「データなし」 when there is none.

    At most two decimals, rounded half up (portal.rounding), trailing zeros dropped.
    """
    if value is None or value == "":
        return _("データなし")
    if isinstance(value, str) and to_decimal(value) is None:
        return value
    return figure_text(value, 2, trim=True)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def respondent_label(value: str) -> str:
    """住民 / 連携団体 / 職員 for a respondent type."""
    return str(RespondentType(value).label) if value in RespondentType.values else value
