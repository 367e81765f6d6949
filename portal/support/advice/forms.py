"""Forms of the advice sessions (個別相談会): a coordinator publishes a slot."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from portal.formtools import DateTimeInput, PortalModelForm, form_add_service_errors
from portal.models import AdviceSlot, Role, User, Ward
from portal.once import OnceFormMixin
from portal.support.advice.services import advice_slot_validate


class AdviceSlotForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = AdviceSlot
        fields = ["ward", "starts_at", "duration_minutes", "format", "place", "meeting_url"]
        widgets = {"starts_at": DateTimeInput()}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        wards = Ward.objects.order_by("code")
        field = cast(forms.ModelChoiceField, self.fields["ward"])
        # A coordinator publishes for their own ward; the service refuses any other too.
        field.queryset = wards if user.role == Role.ADMIN else wards.filter(staff=user)
        field.initial = user.ward_id

    def clean(self):
        data = super().clean()
        try:
            advice_slot_validate(data, by=self.user)
        except ValidationError as exc:
            form_add_service_errors(self, exc)
        return data

    def _post_clean(self):
        # The service validates and saves; skip ModelForm's instance validation here.
        pass
