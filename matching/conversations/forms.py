"""The message form of a conversation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.attachments import MAX_FILES, AttachmentsField
from portal.formtools import PortalForm, lazy_percent
from portal.once import OnceFormMixin


class MessageForm(OnceFormMixin, PortalForm):
    body = forms.CharField(
        label=_("メッセージ"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = AttachmentsField(
        label=_("添付ファイル（任意）"),
        help_text=lazy_percent(
            _(
                "PDF・画像・Office文書を%(n)s個まで（1ファイル%(mb)s MBまで）。"
                "中身が名前と違うファイルは送れません。"
            ),
            {"n": MAX_FILES, "mb": f"{settings.ATTACHMENT_MAX_BYTES / 1024 / 1024:g}"},
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachments") and not self.errors:
            raise forms.ValidationError(_("メッセージを入力するか、ファイルを添付してください。"))
        return data
