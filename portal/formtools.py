"""Form pieces every app uses: the base forms, native date pickers, service errors on a form."""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from portal.choices import SDG_GOALS
from portal.cleantext import control_character_find
from portal.identifiers import email_key


def lazy_percent(text: object, params: dict[str, object]) -> str:
    """`text % params`, worked out each time it is shown: a label or help text written at import
    time (a form's class body) with a lazy msgid stays in the reader's language. Forcing the
    lazy string with % at import time fixes it in the language the process started in."""
    return lazy(lambda: str(text) % params, str)()


def control_characters_refuse(value: object) -> None:
    """A text field's validator: control characters (other than tab and line breaks) refused."""
    found = control_character_find(value) if isinstance(value, str) else None
    if found:
        raise ValidationError(
            _(
                "入力できない制御文字（%(code)s）が含まれています。"
                "他のソフトから貼り付けた場合は、その部分を入力し直してください。"
            ),
            code="control_character",
            params={"code": found},
        )


def line_breaks_refuse(value: object) -> None:
    """A single-line text field's validator: a line break (CR or LF) refused.

    A name or a title goes into mail headers, lists and exports as one line; a browser's text
    input cannot send a line break, so one arrives only from a script or a pasted request
    (issue #15: an organisation name 「悪意法人\\r\\nSubject: x」)."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        raise ValidationError(
            _("この欄には改行を入力できません。1行で入力してください。"), code="line_break"
        )


def _text_field_validators(field: forms.Field) -> list:
    """The text checks ``field`` gets: control characters for every text field, line breaks
    as well for a single-line one (a text input, not a textarea)."""
    if not isinstance(field, forms.CharField):
        return []
    if isinstance(field.widget, forms.TextInput):
        return [control_characters_refuse, line_breaks_refuse]
    return [control_characters_refuse]


class TextSafetyMixin:
    """Every text field of the form refuses control characters (CharField and its kin), and a
    single-line one (TextInput widget) line breaks.

    The checks are attached when the form is cleaned, over the fields the form has then: a form
    that adds fields after ``super().__init__`` (one per KPI target, per question, per cost
    line) gets them too (issue #15, fifth probe: such fields stored text with U+0001).
    """

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for field in self.fields.values():
            # Each form instance holds its own copies of the fields: appending is local to it.
            for validator in _text_field_validators(field):
                if validator not in field.validators:
                    field.validators.append(validator)
        super().full_clean()  # type: ignore[misc]


class PortalForm(TextSafetyMixin, forms.Form):
    """The base of every form in the portal's apps (a test checks that none is left out)."""


class PortalModelForm(TextSafetyMixin, forms.ModelForm):
    """The base of every model form in the portal's apps."""


class DateInput(forms.DateInput):
    """The browser's own date picker (keyboard and screen-reader friendly, no script)."""

    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


def yen_digits(text: str) -> str:
    """The digits of an amount in yen as people type it or a yen format shows it: 1,200,000 /
    １２０００００ / 1200000円 / ¥1,200,000 / ￥1,200,000 all give "1200000" (width folded with
    NFKC, a leading ¥ or trailing 円, thousands separators and spaces dropped). Anything else is
    returned folded, for the caller's number check to refuse."""
    folded = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").removesuffix("円")
    return folded.replace(",", "").replace(" ", "")


class YenField(forms.IntegerField):
    """An amount in whole yen as people type it (yen_digits)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = yen_digits(value)
        return super().to_python(value)


def sdg_filter_field() -> forms.TypedChoiceField:
    """A list filter's SDG goal: 1–17 or none (「すべて」)."""
    return forms.TypedChoiceField(
        label=_("SDGs"),
        choices=[("", _("すべて")), *SDG_GOALS],
        coerce=int,
        required=False,
        empty_value=None,
    )


def form_errors_text(form: forms.BaseForm) -> str:
    """Every error of an invalid form as one line (for a message or a log entry)."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def form_add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, " ".join(exc.messages))


class FoldedEmailField(forms.EmailField):
    """An e-mail address typed with a Japanese IME (ＴＡＮＡＫＡ＠ＥＸＡＭＰＬＥ．ＪＰ) is read as the
    plain address before it is validated (portal.identifiers.email_key).

    At most 254 characters, the length of the models' EmailField (and of a deliverable address,
    RFC 5321): Django's form default of 320 let a longer one through to the database, where
    PostgreSQL refuses it with an error instead of a message (issue #15).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_python(self, value):
        return email_key(super().to_python(value))


def messages_service_errors(request, exc: ValidationError) -> None:
    """A service's ValidationError as error messages on the next page (forms posted from a
    page that shows several small forms, like the project page)."""
    for message in exc.messages:
        messages.error(request, message)


def messages_form_errors(request, form: forms.BaseForm) -> None:
    """An invalid form's errors as messages, each prefixed with its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


# Domestic numbers have 10 digits (fixed lines, 03-1234-5678) or 11 (mobiles, 090-1234-5678);
# an international number is + and at most 15 digits (ITU-T E.164), at least 8 in practice.
PHONE_DOMESTIC_DIGITS = (10, 11)
PHONE_INTERNATIONAL_DIGITS = (8, 15)
PHONE_MESSAGE = _(
    "電話番号は、市外局番からの10〜11桁（例: 03-1234-5678）か、+で始まる国際番号で入力してください。"
)


def phone_validate(value: str) -> None:
    """Refuses what is no phone number: characters other than digits, hyphens, spaces,
    brackets and a leading +, or a digit count no Japanese or E.164 number has.

    Checked after NFKC (full-width digits, brackets and ＋ from a Japanese IME are the same
    characters); an empty value passes (the field decides whether it is required).
    """
    folded = unicodedata.normalize("NFKC", value or "").strip()
    if not folded:
        return
    body = folded.removeprefix("+")
    if not all(ch.isdigit() or ch in "-() " for ch in body):
        raise ValidationError(PHONE_MESSAGE, code="phone")
    digits = sum(ch.isdigit() for ch in body)
    low, high = PHONE_INTERNATIONAL_DIGITS if folded.startswith("+") else PHONE_DOMESTIC_DIGITS
    if not low <= digits <= high or (not folded.startswith("+") and not body.startswith("0")):
        raise ValidationError(PHONE_MESSAGE, code="phone")


class PhoneField(forms.CharField):
    """A phone number as people write it (phone_validate); compared through
    portal.identifiers.phone_key, stored as typed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("電話番号"))
        kwargs.setdefault("validators", [phone_validate])
        super().__init__(**kwargs)


def one_contact_require(form: forms.BaseForm, data: dict) -> None:
    """A form asking for an e-mail address or a phone number needs at least one of the two."""
    if not (data.get("email") or data.get("phone")) and not form.has_error("email"):
        raise ValidationError(_("メールアドレスか電話番号のどちらかを入力してください。"))
