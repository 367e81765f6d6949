from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.formtools import PortalForm
from portal.models import MailLog, NoticeKind, User


class NoticeSettingsForm(PortalForm):
    mailed = forms.MultipleChoiceField(
        label=_("メールでも受け取るお知らせ"),
        choices=NoticeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("お知らせはいつでもポータルの「お知らせ」に届きます。"),
    )
    language = forms.ChoiceField(
        label=User._meta.get_field("language").verbose_name,
        choices=[("", _("ポータルの標準（日本語）")), *settings.LANGUAGES],
        required=False,
        help_text=_("区の職員がどの言語で操作しても、お知らせとメールはこの言語で届きます。"),
    )


class MailLogFilterForm(PortalForm):
    status = forms.ChoiceField(
        label=_("状態"), choices=[("", _("すべて")), *MailLog.Status.choices], required=False
    )
    q = forms.CharField(label=_("宛先・件名"), required=False, max_length=100)
