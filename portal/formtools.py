"""Form pieces every app uses: native date pickers, and service errors shown on a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from portal.identifiers import email_key


class DateInput(forms.DateInput):
    """The browser's own date picker (keyboard and screen-reader friendly, no script)."""

    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%dT%H:%M")
        super().__init__(**kwargs)


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
    plain address before it is validated (portal.identifiers.email_key)."""

    def to_python(self, value):
        return email_key(super().to_python(value))
