"""Small helpers that keep the 50-row triage table cheap to render."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SELECTED = mark_safe(" selected")  # nosec B308


def options_html(choices, selected) -> SafeString:
    """<option> elements for (value, label) pairs, the one equal to `selected` selected."""
    current = "" if selected is None else str(selected)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, SELECTED if str(value) == current else "", label) for value, label in choices),
    )


@register.simple_tag
def pick(mapping, key):
    """The pre-rendered <option> list for `key` (None = the empty choice)."""
    return mapping.get("" if key is None else str(key), "")
