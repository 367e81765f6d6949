from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils.translation import gettext_lazy as _

from portal.formtools import PortalForm


class JoinForm(PortalForm):
    """A contact's new member account: login ID and password (Django's validators)."""

    # UsernameField folds to NFKC as the login form does, so ｉｋｅｂｕｋｕｒｏ is stored as the
    # ikebukuro a person types at /login/; ASCII only, as the help text says.
    username = UsernameField(
        label=_("ログインID"),
        max_length=150,
        validators=[ASCIIUsernameValidator()],
        help_text=_("半角英数字と @ . + - _ が使えます。"),
    )
    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif first:
            try:
                validate_password(first)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
