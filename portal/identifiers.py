"""How identifiers and names typed by people are compared: one function per kind of identifier.

People type the same identifier in many spellings: full-width digits from a Japanese IME
(``１３１２３－２０２６－０００７``), a katakana long-vowel mark or a minus sign for a hyphen, a
stray space, upper or lower case, even styled letters (``ⓒ``, ``𝐜``). Wherever such a value
*identifies* something — an import row's issue, a login throttle's account, a check-in code,
an organisation's 法人番号 — it is compared by the key these functions compute, never by the
raw text. What is stored stays as it was given (an issue's ``ref`` is kept as typed: DESIGN.md);
where a database lookup needs the key, a column holds it (``NormalizedKeyField``), filled by
the field itself on every save and bulk_create.

What each kind folds (all start by removing the invisible format characters — Unicode category
Cf: U+200B zero width space, U+2060 word joiner, U+FEFF byte order mark, U+00AD soft hyphen,
bidi marks — that Excel, web pages and chat tools leave in copied text, so
``13101-2023-0001\u200b`` is the ref it looks like (issue #15, newcomer probe); then Unicode NFKC,
which turns full-width and styled letters and digits into plain ones and half-width katakana into
full-width):

- Reference numbers, 整理番号 of issues and resources (``reference_key``): every space removed,
  every dash-like character (‐ ‑ ‒ – — ― − ー ｰ ﹣ －) becomes ``-``, upper case.
  ``13123-2026-0007``, ``１３１２３－２０２６－０００７`` and ``13123 ー 2026 ー 0007`` are one ref.
- Usernames (``username_key``): trimmed and case-folded, so ``Coordinator3`` and ``ⓒoordinator3``
  count against ``coordinator3``'s login throttle. The throttle must never be finer than
  sign-in, which (Django's) already folds NFKC; sign-in itself stays case-sensitive.
- E-mail addresses (``email_key``): trimmed and case-folded as a whole. The local part is
  case-sensitive in theory only; no provider we see treats ``Tanaka@`` and ``tanaka@`` as two
  people. Stored addresses passed Django's (ASCII) validator, so ``email__iexact=email_key(x)``
  finds them.
- 法人番号 (``corporate_number_key``): spaces and dashes removed; stored in this form.
- Indicator names and ids in a measurement file, form or device feed (``indicator_key``): every
  space removed, every dash-like character becomes ``-``, case-folded. 「健康ﾎﾟｲﾝﾄ 参加者数」,
  「健康ポイント参加者数\u200b」 and 「ＣＯ２削減量－前年比」 find 「健康ポイント参加者数」 and
  「CO2削減量-前年比」; a project's two indicators never share a key (evaluation.services).
- Check-in codes (``checkin_code_key``): spaces and dashes removed, upper case. ``0``/``O`` and
  ``1``/``I`` are not folded: generated codes avoid those letters and the demo's use the digits.
- Phone numbers (``phone_key``): the digits only; an international ``+81`` becomes the domestic
  leading ``0``. ``０３－１２３４－５６７８``, ``03 1234 5678``, ``(03)1234-5678`` and
  ``+81 3-1234-5678`` are one number (a resident's sign-up is found by it).
- Free text (``search_text`` for the stored side, ``search_words`` for the search box): lower
  case, whitespace runs collapsed. ``ｺﾞﾐ集積所のｶﾗｽ被害`` is found by カラス, ゴミ or ｺﾞﾐ. The same
  fold as the registry's ``Organization.search_text``, so both searches behave alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.db import models

# Hyphen, non-breaking hyphen, figure dash, en/em dash, horizontal bar, minus sign, katakana
# prolonged sound mark (a Japanese IME's usual "-"), small/full-width hyphen-minus. NFKC has
# already turned the half-width ｰ and full-width － into ー and -.
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63\uff0d-]")
_SPACES = re.compile(r"\s+")


def invisible_remove(value: object) -> str:
    """``value`` as text without format characters (Unicode category Cf): nothing a person sees
    changes, and two spellings that look identical become one."""
    text = "" if value is None else str(value)
    if text.isascii():  # no Cf character is ASCII
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _nfkc(value: object) -> str:
    return unicodedata.normalize("NFKC", invisible_remove(value))


def reference_key(value: object) -> str:
    """An issue's or resource's 整理番号 as compared (see the module docstring)."""
    return _DASHES.sub("-", _SPACES.sub("", _nfkc(value))).upper()


def username_key(value: object) -> str:
    """A login name as the throttle counts it."""
    return _nfkc(value).strip().casefold()


def email_key(value: object) -> str:
    """An e-mail address as compared."""
    return _nfkc(value).strip().casefold()


def corporate_number_key(value: object) -> str:
    """A 法人番号 as stored and compared: the digits (and whatever else was typed, for the
    validator to refuse) without spaces or dashes."""
    return _DASHES.sub("", _SPACES.sub("", _nfkc(value)))


# Legal-form abbreviations as written in registers and on business cards (NFKC has already
# turned ㈱ and （株） into (株)); expanded so 「(株)青葉」 and 「株式会社 青葉」 meet. The form stays
# where it was written: 「青葉株式会社」 (後株) is another name than 「株式会社青葉」 (前株).
_LEGAL_FORMS = {
    "(株)": "株式会社",
    "(有)": "有限会社",
    "(合)": "合同会社",
    "(一社)": "一般社団法人",
    "(公社)": "公益社団法人",
    "(一財)": "一般財団法人",
    "(公財)": "公益財団法人",
    "(特非)": "特定非営利活動法人",
    "(npo)": "特定非営利活動法人",
    "npo法人": "特定非営利活動法人",
    "(学)": "学校法人",
    "(社福)": "社会福祉法人",
}
_LEGAL_FORM = re.compile("|".join(re.escape(form) for form in _LEGAL_FORMS))


def organization_name_key(value: object) -> str:
    """An organisation's name as compared (registration, import, duplicate check): NFKC,
    no spaces, one dash, case-folded, legal-form abbreviations spelled out."""
    folded = _DASHES.sub("-", _SPACES.sub("", _nfkc(value))).casefold()
    return _LEGAL_FORM.sub(lambda match: _LEGAL_FORMS[match.group(0)], folded)


def indicator_key(value: object) -> str:
    """A project indicator's name (or id) as compared by a file, the form and the device feed."""
    return _DASHES.sub("-", _SPACES.sub("", _nfkc(value))).casefold()


def checkin_code_key(value: object) -> str:
    """A check-in code as read out at the desk."""
    return _DASHES.sub("", _SPACES.sub("", _nfkc(value))).upper()


# A dash between letters or digits (a ref such as 13101ー2026ー0001 typed with the IME's ー or
# a full-width －) is "-"; a ー inside a katakana word (コーヒー) stays what it is.
_DASH_IN_CODE = re.compile(
    r"(?<=[0-9a-z])[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe63\uff0d-](?=[0-9a-z])"
)


def _search_fold(value: object) -> str:
    return _DASH_IN_CODE.sub("-", _nfkc(value).lower())


def phone_key(value: object) -> str:
    """A phone number as compared: its digits, ``+81`` read as the domestic ``0``."""
    text = _nfkc(value).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith(("+81", "+ 81")):
        digits = "0" + digits.removeprefix("81").lstrip("0")
    return digits


def search_text(*parts: object) -> str:
    """The stored side of a free-text search: the parts, folded, one per line."""
    return "\n".join(_SPACES.sub(" ", _search_fold(part)).strip() for part in parts if part)


def search_words(query: object, *, limit: int = 8) -> list[str]:
    """The words of a search box, folded like ``search_text``; every word must match."""
    return _search_fold(query).split()[:limit]


KEYS: dict[str, Callable[[object], str]] = {
    "reference": reference_key,
    "corporate_number": corporate_number_key,
    "organization_name": organization_name_key,
}


class NormalizedKeyField(models.CharField):
    """A column holding ``KEYS[kind]`` of another field, computed on every save.

    ``pre_save`` is also what ``bulk_create`` calls, so rows written in bulk get their key too.
    ``QuerySet.update()`` of the source field does not: change such values through ``save``.
    """

    def __init__(self, *args: Any, source: str = "", kind: str = "reference", **kwargs: Any):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        if kwargs.get("max_length") == 200:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = KEYS[self.kind](getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class SearchTextField(models.TextField):
    """The folded text of ``sources`` for the search box (``search_text``), kept up to date
    on every save and bulk_create like ``NormalizedKeyField``."""

    def __init__(self, *args: Any, sources: tuple[str, ...] = (), **kwargs: Any):
        self.sources = tuple(sources)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        for key, default in (("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = search_text(*(getattr(model_instance, name) for name in self.sources))
        setattr(model_instance, self.attname, value)
        return value


def keys_fill(model: type[models.Model], *, field: str = "ref_key") -> list[tuple[Any, str]]:
    """Data migrations: fills ``model.field`` (a ``NormalizedKeyField``) for every row.

    Rows stored before the key existed may already hold two spellings of one identifier (the
    bug the key fixes: an import made a second issue for ``１３１２３－２０２６－０００７``). The oldest
    row keeps the plain key, so imports and forms find it from now on; each later one gets
    ``<key>#<pk>`` so the unique index can be built and nothing is lost or merged behind the
    staff's back. Answers those later rows as (pk, ref) for the migration's caller to report.
    A key that is not unique (an organisation's name) is filled as it is, repeats included.
    """
    key_field = model._meta.get_field(field)
    assert isinstance(key_field, NormalizedKeyField)
    to_key = KEYS[key_field.kind]
    seen: set[str] = set()
    duplicates: list[tuple[Any, str]] = []
    batch: list[models.Model] = []
    rows = model._default_manager.order_by("pk").values_list("pk", key_field.source)
    for pk, source in rows.iterator(chunk_size=2000):
        key = to_key(source)
        if key in seen and key_field.unique:
            duplicates.append((pk, source))
            key = f"{key}#{pk}"
        seen.add(key)
        batch.append(model(pk=pk, **{field: key}))
        if len(batch) >= 1000:
            model._default_manager.bulk_update(batch, [field])
            batch = []
    if batch:
        model._default_manager.bulk_update(batch, [field])
    return duplicates


def search_text_fill(model: type[models.Model], *, field: str = "search_text") -> None:
    """Data migrations: fills ``model.field`` (a ``SearchTextField``) for every row."""
    text_field = model._meta.get_field(field)
    assert isinstance(text_field, SearchTextField)
    batch: list[models.Model] = []
    rows = model._default_manager.order_by("pk").values_list("pk", *text_field.sources)
    for pk, *parts in rows.iterator(chunk_size=2000):
        batch.append(model(pk=pk, **{field: search_text(*parts)}))
        if len(batch) >= 1000:
            model._default_manager.bulk_update(batch, [field])
            batch = []
    if batch:
        model._default_manager.bulk_update(batch, [field])
