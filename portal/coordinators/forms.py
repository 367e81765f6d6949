"""Forms of the coordinator system: profiles, training sessions, meetings, self-assessment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formtools import DateInput, PortalForm, PortalModelForm
from portal.models import (
    CertificationLevel,
    CoordinatorBackground,
    Field,
    NetworkMeeting,
    SkillLevel,
    TrainingSession,
    Ward,
)
from portal.once import OnceFormMixin


class CoordinatorProfileForm(PortalForm):
    wards = forms.ModelMultipleChoiceField(
        label=_("担当区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    background = forms.ChoiceField(label=_("経歴"), choices=CoordinatorBackground.choices)
    specialities = forms.ModelMultipleChoiceField(
        label=_("専門分野"),
        queryset=Field.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    introduction = forms.CharField(
        label=_("自己紹介"), required=False, max_length=2000, widget=forms.Textarea
    )
    active = forms.BooleanField(label=_("活動中"), required=False, initial=True)


class CertificationForm(PortalForm):
    """An approver's or admin's certification decision and its basis (portal.certify_coordinator)."""

    level = forms.ChoiceField(label=_("認定レベル"), choices=CertificationLevel.choices)
    certified_on = forms.DateField(label=_("認定日"), widget=DateInput)
    training_hours = forms.DecimalField(
        label=_("研修の修了時間"),
        min_value=0,
        max_digits=6,
        decimal_places=1,
        help_text=_("修了した研修の合計時間（記録から計算した値を初期表示しています）"),
    )
    cases_supported = forms.IntegerField(
        label=_("支援した案件数"),
        min_value=0,
        max_value=100_000,
        help_text=_("年度内に支援した案件の数（担当案件の記録から計算した値を初期表示しています）"),
    )
    assessment = forms.CharField(
        label=_("評価の所見"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("面談・実績の確認など、このレベルと判断した根拠"),
    )


class TrainingSessionForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = TrainingSession
        fields = ["topic", "held_on", "format", "hours", "description"]
        widgets = {"held_on": DateInput}

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is None or hours <= 0:
            raise forms.ValidationError(_("時間数は0より大きい値にしてください。"))
        return hours


class NetworkMeetingForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = NetworkMeeting
        fields = ["title", "held_on", "ward", "participants", "minutes"]
        widgets = {"held_on": DateInput}


class SelfAssessmentForm(PortalForm):
    level = forms.ChoiceField(
        label=_("連携スキルの自己評価"), choices=SkillLevel.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("コメント"), required=False, max_length=2000, widget=forms.Textarea
    )
