"""Forms for outside support, coordinator budgets and grants."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.projects.models import ExternalSupport, Grant, Project
from portal.formtools import DateInput, PortalForm, PortalModelForm
from portal.models import Role, User
from portal.once import OnceFormMixin


class ExternalSupportForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = ExternalSupport
        fields = ["project", "body_name", "body_type", "description", "started_on", "ended_on"]
        widgets = {"started_on": DateInput, "ended_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.order_by("-start_date")


class BudgetForm(PortalForm):
    coordinator = forms.ModelChoiceField(
        label=_("コーディネーター"),
        queryset=User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("username"),
    )
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = forms.IntegerField(label=_("予算額（円）"), min_value=0, max_value=10**11)


class GrantForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = Grant
        fields = ["project", "amount", "purpose", "awarded_on"]
        widgets = {"awarded_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.order_by("-start_date")

    def _post_clean(self):
        pass
