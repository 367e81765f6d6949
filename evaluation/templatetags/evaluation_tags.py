from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from portal import fiscal
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
def wareki(day) -> str:
    return fiscal.wareki_date(day) if day else ""


@register.filter
def date_both(day) -> str:
    return fiscal.date_both(day)


@register.filter
def fy_label(year) -> str:
    return fiscal.fiscal_year_label(int(year)) if year else ""


@register.filter
def yen(value) -> str:
    return f"{int(value or 0):,}円"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if mapping else key
