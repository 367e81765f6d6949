"""Template filters that show a figure rounded half up (四捨五入): see portal.rounding.

``{{ value|half_up:1 }}`` → "1,234.5"; ``{{ share|share_percent }}`` (a share in 0..1) → "12.5%".
Use these, not ``widthratio`` or ``round``, which round a half to the even neighbour.
"""

from __future__ import annotations

from django import template

from portal.rounding import figure_text, to_decimal

register = template.Library()


@register.filter(name="half_up")
def half_up_filter(value, places: int = 0) -> str:
    """``value`` with ``places`` decimals, rounded half up, with thousands separators."""
    return figure_text(value, int(places))


@register.filter
def share_percent(share, places: int = 0) -> str:
    """A share in 0..1 as a percentage rounded half up ("—" when there is none)."""
    number = to_decimal(share)
    if number is None:
        return "—"
    return f"{figure_text(number * 100, int(places))}%"
