"""Texts staff wrote in Japanese and perhaps in English (portal.localcontent.EnglishContent).

``{% local issue "title" %}`` → the title in the active language inside <span lang="…">;
Japanese shown in the English UI is followed by a visible 「日本語のみ」 marker whose accessible
name says why. ``block=True`` writes paragraphs (linebreaks) in a <div>; ``truncate=N`` cuts
the text to N characters; ``mark=False`` leaves the marker out where a neighbouring text of the
same object (its title) already carries it. ``{{ issue|local:"title" }}`` is the plain text,
for <title> and attributes.

Data that has no English field (a venue, an area, a project's title) is shown as written, with
the language of its script: ``{{ event.venue|as_written }}`` → <span lang="ja">…</span> when it
contains Japanese; ``<div lang="{{ text|text_lang }}">`` for a block.
"""

from __future__ import annotations

import re

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext

from portal.fiscal import english
from portal.localcontent import EnglishContent

register = template.Library()

# Kana, CJK ideographs and full-width forms: text a screen reader should read as Japanese.
JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def japanese_only_marker() -> SafeString:
    """The visible marker of Japanese text in the English UI, with its accessible name."""
    return format_html(
        '<span class="ja-only" role="note" aria-label="{}">{}</span>',
        gettext("日本語のみ（英語の文章はまだありません）"),
        gettext("日本語のみ"),
    )


@register.simple_tag(name="local")
def local_tag(
    obj: EnglishContent, name: str, block: bool = False, truncate: int = 0, mark: bool = True
) -> SafeString:
    text = obj.local(name) or ""
    if truncate:
        text = Truncator(text).chars(truncate)
    language = obj.language
    if block:
        html = format_html('<div lang="{}">{}</div>', language, linebreaks_filter(text))
    else:
        html = format_html('<span lang="{}">{}</span>', language, conditional_escape(text))
    if mark and language == "ja" and english():
        # Before a block (its own line above the paragraphs), after an inline text.
        parts = (japanese_only_marker(), html) if block else (html, japanese_only_marker())
        html = format_html("{} {}", *parts)
    return html


@register.filter(name="local")
def local_filter(obj: EnglishContent, name: str) -> str:
    return obj.local(name)


@register.filter
def text_lang(text: object) -> str:
    """ "ja" for text with Japanese script in it, else "en" (the page's other language)."""
    return "ja" if JAPANESE_SCRIPT.search(str(text or "")) else "en"


@register.filter
def as_written(text: object) -> SafeString:
    """Data shown as typed, in a <span> marked with the language of its script."""
    return format_html('<span lang="{}">{}</span>', text_lang(text), text or "")
