from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from evaluation.models import RespondentType

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
def get_item(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def respondent_label(value: str) -> str:
    """住民 / 連携団体 / 職員 for a respondent type."""
    return str(RespondentType(value).label) if value in RespondentType.values else value
