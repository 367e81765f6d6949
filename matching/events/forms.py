"""Forms for matching events, outsourced support and coordinator budgets."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from matching.events.models import PARTY_SIZE_MAX, Event, EventTheme, PairFollowUp, PairOutcome
from matching.events.services import event_validate
from portal.formtools import (
    DateTimeInput,
    FoldedEmailField,
    PhoneField,
    PortalForm,
    PortalModelForm,
    one_contact_require,
)
from portal.localcontent import EnglishFieldsFormMixin
from portal.models import Ward
from portal.once import OnceFormMixin


class EventForm(EnglishFieldsFormMixin, OnceFormMixin, PortalModelForm):
    wards = forms.ModelMultipleChoiceField(
        label=_("主催区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Event
        fields = [
            "title",
            "theme",
            "format",
            "venue",
            "meeting_url",
            "starts_at",
            "ends_at",
            "capacity",
            "registration_deadline",
            "public",
            "resident_signup",
            "description",
            "title_en",
            "description_en",
            "internal_notes",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "registration_deadline": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "internal_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        try:
            event_validate(data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        return data

    def _post_clean(self):
        # The services validate and save; skip ModelForm's instance validation here.
        pass


class ThemeForm(PortalModelForm):
    class Meta:
        model = EventTheme
        fields = ["name", "order"]


class ResidentSignUpForm(OnceFormMixin, PortalForm):
    """A resident's sign-up on a public event's page (matching.events.residents)."""

    name = forms.CharField(label=_("お名前"), max_length=100)
    email = FoldedEmailField(
        label=_("メールアドレス"),
        required=False,
        help_text=_("受付番号と当日のご案内をお送りします。"),
    )
    phone = PhoneField(required=False)
    party_size = forms.TypedChoiceField(
        label=_("人数（ご本人を含む）"),
        coerce=int,
        choices=[(n, n) for n in range(1, PARTY_SIZE_MAX + 1)],
        initial=1,
    )
    accessibility_needs = forms.CharField(
        label=_("配慮してほしいこと（任意）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("車いす席、手話通訳、要約筆記、やさしい日本語、英語での案内など。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self):
        data = super().clean()
        one_contact_require(self, data)
        return data


class CheckInForm(PortalForm):
    code = forms.CharField(label=_("受付コード・受付番号"), max_length=20)


class CloseForm(PortalForm):
    minutes = forms.CharField(
        label=_("議事録"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, pairs=(), registrants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pairs = list(pairs)
        self.registrants = list(registrants)
        for pair in self.pairs:
            self.fields[f"outcome_{pair.pk}"] = forms.ChoiceField(
                label=f"{pair.issue.title} × {pair.organization.name}",
                choices=[("", "—"), *PairOutcome.choices],
                initial=pair.outcome,
                error_messages={"required": _("結果を選んでください。")},
            )
            self.fields[f"follow_up_{pair.pk}"] = forms.ChoiceField(
                label=_("連携決定の場合の手続き"),
                choices=PairFollowUp.choices,
                initial=PairFollowUp.PROPOSAL if pair.resource_id else PairFollowUp.PROJECT,
                required=False,
                widget=forms.RadioSelect,
            )
        self.fields["attended"] = forms.MultipleChoiceField(
            label=_("出席者"),
            required=False,
            choices=[(str(inv.pk), inv.person) for inv in self.registrants],
            initial=[str(inv.pk) for inv in self.registrants if inv.checked_in_at],
            widget=forms.CheckboxSelectMultiple,
        )

    def outcome_fields(self):
        """(outcome field, follow-up field) per pair, in programme order."""
        return [(self[f"outcome_{pair.pk}"], self[f"follow_up_{pair.pk}"]) for pair in self.pairs]

    def outcomes(self) -> dict[int, str]:
        return {pair.pk: self.cleaned_data[f"outcome_{pair.pk}"] for pair in self.pairs}

    def follow_ups(self) -> dict[int, str]:
        return {
            pair.pk: self.cleaned_data[f"follow_up_{pair.pk}"]
            for pair in self.pairs
            if self.cleaned_data.get(f"follow_up_{pair.pk}")
        }

    def attended_ids(self) -> set[int]:
        return {int(value) for value in self.cleaned_data["attended"]}
