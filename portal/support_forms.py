"""Forms for coordinators, training, self-assessment, FAQ and consultation screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formtools import DateInput, PortalForm, PortalModelForm
from portal.models import (
    STAFF_ROLES,
    CertificationLevel,
    ConsultationRequest,
    ConsultationStatus,
    CoordinatorBackground,
    FaqCategory,
    FaqEntry,
    Field,
    NetworkMeeting,
    Role,
    SkillLevel,
    TrainingSession,
    User,
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
    certification_level = forms.ChoiceField(
        label=_("認定レベル"), choices=CertificationLevel.choices
    )
    certified_on = forms.DateField(label=_("認定日"), required=False, widget=DateInput)
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

    def clean(self):
        data = super().clean()
        level = data.get("certification_level")
        if level and level != CertificationLevel.NONE and not data.get("certified_on"):
            self.add_error(
                "certified_on", _("認定レベルを設定するときは認定日を入力してください。")
            )
        return data


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


class FaqCategoryForm(PortalModelForm):
    class Meta:
        model = FaqCategory
        fields = ["name", "order"]


class FaqEntryForm(OnceFormMixin, PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = FaqEntry
        fields = ["category", "question", "answer", "keywords", "published", "order"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 6})}


class AskForm(PortalForm):
    q = forms.CharField(label=_("質問"), max_length=500, strip=True)


class ConsultationForm(OnceFormMixin, PortalModelForm):
    # Honeypot: hidden from people by CSS; a bot filling every input gives itself away.
    website = forms.CharField(label=_("この欄は空欄のままにしてください"), required=False)

    class Meta:
        model = ConsultationRequest
        fields = ["name", "organization", "email", "phone", "topic", "ward", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].queryset = Ward.objects.order_by("code")
        self.fields["ward"].empty_label = _("区を選ばない")

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not all(ch.isdigit() or ch in "-+() " for ch in phone):
            raise forms.ValidationError(_("電話番号は数字とハイフンで入力してください。"))
        return phone

    def clean(self):
        data = super().clean()
        if not (data.get("email") or data.get("phone")) and not self.has_error("email"):
            raise forms.ValidationError(_("メールアドレスか電話番号のどちらかを入力してください。"))
        return data


class ConsultationUpdateForm(PortalForm):
    status = forms.ChoiceField(
        label=_("状態"), choices=[("", "—"), *ConsultationStatus.choices], required=False
    )
    assigned_to = forms.ModelChoiceField(
        label=_("担当コーディネーター"),
        queryset=User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("username"),
        required=False,
    )
    note = forms.CharField(
        label=_("対応メモ"), required=False, max_length=3000, widget=forms.Textarea
    )


def staff_choices():
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by(
        "ward__code", "username"
    )
