from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from evaluation.models import RespondentType
from portal import fiscal

register = template.Library()


@register.filter
def kpi_value(value) -> str:
    """A figure for people: 1,234 / 23.8 / 「データなし」 when there is none."""
    if value is None or value == "":
        return _("データなし")
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return f"{int(value):,}"
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


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


@register.filter
def respondent_label(value: str) -> str:
    """住民 / 連携団体 / 職員 for a respondent type."""
    return str(RespondentType(value).label) if value in RespondentType.values else value
