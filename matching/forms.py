"""Forms of the matching screens: every input is validated here before a service sees it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.models import Decision, MatchingSettings
from matching.review.services import REJECT_REASONS
from matching.rules import FEATURES
from portal.formtools import DateInput, PortalForm, PortalModelForm


class DecisionForm(PortalForm):
    verdict = forms.ChoiceField(label=_("判断"), choices=Decision.Verdict.choices)
    reason = forms.ChoiceField(
        label=_("却下の理由"), choices=[("", "—"), *REJECT_REASONS], required=False
    )
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deadline = forms.DateField(label=_("回答期限"), required=False, widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self):
        data = super().clean()
        if data.get("verdict") == Decision.Verdict.REJECTED and not data.get("reason"):
            self.add_error("reason", _("却下の理由を選んでください。"))
        return data


class ShortlistForm(PortalForm):
    shortlisted = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProposalResponseForm(PortalForm):
    answer = forms.ChoiceField(
        label=_("回答"),
        choices=[("accept", _("受諾する")), ("decline", _("辞退する"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由・メッセージ"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("辞退する場合は理由を入力してください。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("辞退の理由を入力してください。"))
        return data


class WeightsForm(PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = MatchingSettings
        fields = [*FEATURES, "top_k", "use_learned", "exposure_cap"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exposure_cap"].required = False

    def clean(self):
        data = super().clean()
        for name in FEATURES:
            value = data.get(name)
            if value is not None and not 0 <= value <= 10:
                self.add_error(name, _("0 から 10 の範囲で入力してください。"))
        top_k = data.get("top_k")
        if top_k is not None and not 1 <= top_k <= 50:
            self.add_error("top_k", _("1 から 50 の範囲で入力してください。"))
        cap = data.get("exposure_cap")
        if cap is None and not self.has_error("exposure_cap"):
            data["exposure_cap"] = 0  # left empty: no cap
        elif cap is not None and not 0 <= cap <= 100:
            self.add_error(
                "exposure_cap", _("0（上限なし）から 100 までの整数で入力してください。")
            )
        return data
