"""Forms of the help centre and consultations."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formtools import PhoneField, PortalForm, PortalModelForm, one_contact_require
from portal.localcontent import EnglishFieldsFormMixin
from portal.models import (
    STAFF_ROLES,
    AdviceSlot,
    ConsultationRequest,
    ConsultationStatus,
    FaqCategory,
    FaqEntry,
    Role,
    User,
    Ward,
)
from portal.once import OnceFormMixin
from portal.support.advice.services import advice_slots_open


class FaqCategoryForm(PortalModelForm):
    class Meta:
        model = FaqCategory
        fields = ["name", "name_en", "order"]


class FaqEntryForm(EnglishFieldsFormMixin, OnceFormMixin, PortalModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = FaqEntry
        fields = [
            "category",
            "question",
            "answer",
            "question_en",
            "answer_en",
            "keywords",
            "published",
            "order",
        ]
        widgets = {
            "answer": forms.Textarea(attrs={"rows": 6}),
            "answer_en": forms.Textarea(attrs={"rows": 6}),
        }


class AskForm(PortalForm):
    q = forms.CharField(label=_("質問"), max_length=500, strip=True)


class AdviceSlotChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.when} {obj.ward.local_name} {obj.get_format_display()} {obj.where}".strip()


class ConsultationForm(OnceFormMixin, PortalModelForm):
    # Honeypot: hidden from people by CSS; a bot filling every input gives itself away.
    website = forms.CharField(label=_("この欄は空欄のままにしてください"), required=False)
    phone = PhoneField(required=False)
    slot = AdviceSlotChoice(
        label=_("個別相談会の予約（任意）"),
        queryset=AdviceSlot.objects.none(),
        required=False,
        empty_label=_("予約しない"),
        error_messages={
            "invalid_choice": _(
                "この枠は直前に別の方が予約したか、受付を終了しました。別の枠を選んでください。"
            )
        },
        help_text=_("コーディネーターと直接話せる相談会の空き枠です。選ぶと予約まで済みます。"),
    )

    class Meta:
        model = ConsultationRequest
        fields = ["name", "organization", "email", "phone", "topic", "ward", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].queryset = Ward.objects.order_by("code")
        self.fields["ward"].empty_label = _("区を選ばない")
        self.fields["slot"].queryset = advice_slots_open()

    def clean(self):
        data = super().clean()
        one_contact_require(self, data)
        return data


class ConsultationUpdateForm(OnceFormMixin, PortalForm):
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
