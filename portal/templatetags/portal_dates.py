"""The one way templates write a date, an instant, a 年度 or an amount of yen for people.

    {% load portal_dates %}
    {{ day|date_label }}              2026年4月1日（水） / Wed 1 April 2026
    {{ day|date_label:"wareki" }}     令和8年4月1日（水） / Wed 1 April 2026 (Reiwa 8)
    {{ moment|datetime_label }}       2026年4月1日（水） 14:05 / Wed 1 April 2026, 14:05
    {{ moment|datetime_label:"seconds" }}  … 14:05:09 (logs, job timings)
    {{ 2026|fy_label }}               2026年度（令和8年度） / FY2026
    {{ amount|yen }}                  1,234,567円 / ¥1,234,567

In the active language; an aware datetime is shown in Tokyo time. An empty date gives "" so
`|default:"—"` still works. Machine-readable values (`<time datetime>`, CSV cells) keep
Django's `|date:"c"` / ISO text. The rules themselves live in portal.fiscal.
"""

from __future__ import annotations

from django import template

from portal import fiscal

register = template.Library()

STYLES = {"wareki", "seconds"}


def _styles(style: str) -> set[str]:
    """The words of a style: wareki, seconds or both ("wareki,seconds"); others are an error."""
    words = {word.strip() for word in style.split(",") if word.strip()}
    if words - STYLES:
        raise template.TemplateSyntaxError(f"unknown date style {style!r}; use {sorted(STYLES)}")
    return words


@register.filter
def date_label(value, style: str = "") -> str:
    if not value:
        return ""
    return fiscal.date_label(value, wareki="wareki" in _styles(style))


@register.filter
def datetime_label(value, style: str = "") -> str:
    if not value:
        return ""
    words = _styles(style)
    return fiscal.datetime_label(value, wareki="wareki" in words, seconds="seconds" in words)


@register.filter
def fy_label(value) -> str:
    if not value:
        return ""
    return fiscal.fiscal_year_label(int(value))


@register.filter
def yen(value) -> str:
    """No amount is 0 yen (a cost not entered), not an empty cell."""
    return fiscal.yen_label(value or 0)
