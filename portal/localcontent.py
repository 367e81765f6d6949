"""Content that staff may also write in English: which text a reader sees, in which language.

A model with English fields mixes in ``EnglishContent`` and names its pairs in ``ENGLISH``
(Japanese field → English field). The English UI shows the English texts when every English
field whose Japanese text is filled is filled too, and the Japanese ones otherwise: a page
never shows a title in English above a description in Japanese. Templates write a text with
``{% local obj "title" %}`` (portal.templatetags.local_content), which marks Japanese shown in
the English UI with lang="ja" and a visible 「日本語のみ」 marker (issue #14).

Staff forms mix in ``EnglishFieldsFormMixin``: English is optional, but started English must be
complete (a title without its description would never be shown).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.fiscal import english


class EnglishContent:
    """Mixin for models with English versions of their public texts (see the module doc)."""

    ENGLISH: ClassVar[dict[str, str]] = {}

    def english_complete(self) -> bool:
        """Whether an English text is given for every Japanese text that is filled."""
        pairs = self.ENGLISH.items()
        return any(getattr(self, en) for _ja, en in pairs) and all(
            getattr(self, en) for ja, en in pairs if getattr(self, ja)
        )

    @property
    def language(self) -> str:
        """ "en" when the active language is English and the English texts are complete,
        else "ja": the language `local()` answers in, for the element's lang attribute."""
        return "en" if english() and self.english_complete() else "ja"

    def local(self, name: str) -> str:
        """The text of the Japanese field `name` in the active language (see `language`)."""
        return getattr(self, self.ENGLISH[name]) if self.language == "en" else getattr(self, name)


def english_help_text() -> Any:
    """The help text of every English field on a staff form."""
    return _(
        "任意。英語表示のときに日本語の代わりに表示します。空欄の間は日本語に「日本語のみ」と表示します。"
    )


class EnglishFieldsFormMixin:
    """For a ModelForm of an `EnglishContent` model: English fields optional, with the shared
    help text, and refused when started but incomplete (the English would never be shown)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model: type[EnglishContent] = self._meta.model  # type: ignore[attr-defined]
        for en in model.ENGLISH.values():
            field = self.fields.get(en)  # type: ignore[attr-defined]
            if field is not None:
                field.required = False
                field.help_text = english_help_text()

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        model: type[EnglishContent] = self._meta.model  # type: ignore[attr-defined]
        pairs = [(ja, en) for ja, en in model.ENGLISH.items() if en in self.fields]  # type: ignore[attr-defined]
        if any((data.get(en) or "").strip() for _ja, en in pairs):
            for ja, en in pairs:
                japanese = data.get(ja, getattr(self.instance, ja, ""))  # type: ignore[attr-defined]
                if japanese and not (data.get(en) or "").strip():
                    self.add_error(  # type: ignore[attr-defined]
                        en,
                        forms.ValidationError(
                            _("英語で表示するには、この欄も英語で入力してください。"),
                            code="english_incomplete",
                        ),
                    )
        return data
