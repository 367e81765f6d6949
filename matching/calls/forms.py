"""The open call form (募集) on the issue's review screen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formtools import DateInput, PortalForm


class OpenCallForm(PortalForm):
    deadline = forms.DateField(
        label=_("提案の締切日"),
        widget=DateInput,
        help_text=_("この日（東京時間）の終わりまで提案を受け付けます。"),
    )
    criteria = forms.CharField(
        label=_("選考基準"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("提案を選ぶときに重視する点（効果、実現性、費用、継続性など）。"),
    )
