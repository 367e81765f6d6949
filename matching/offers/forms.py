"""Forms of partners' proposals (逆プロポ) and of the open-issue filters partners use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.forms import PublicFilterForm
from matching.forms import DecisionForm
from matching.models import Proposal
from partners.models import Organization, Resource, ResourceStatus
from portal.formtools import DateInput, PortalForm, YenField, sdg_filter_field
from portal.once import OnceFormMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YEN_MAX = 10**11  # well above any collaboration's budget; keeps a typo from overflowing sums


class PartnerIssueFilterForm(PublicFilterForm):
    """The resident's open-issue filters (keyword, ward, field) and an SDG goal."""

    sdg = sdg_filter_field()


def _yen(label: StrOrPromise, help_text: StrOrPromise = "") -> YenField:
    return YenField(
        label=label,
        min_value=0,
        max_value=YEN_MAX,
        required=False,
        initial=0,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ResourceChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Resource) -> str:
        return f"{obj.title}（{obj.get_kind_display()}）"


class PartnerProposalForm(OnceFormMixin, PortalForm):
    kind = forms.ChoiceField(
        label=_("送る内容"),
        choices=Proposal.Kind.choices,
        initial=Proposal.Kind.PROPOSAL,
        widget=forms.RadioSelect,
        help_text=_("関心表明は、詳しい提案の前に区と話をしたいときに選びます。"),
    )
    message = forms.CharField(
        label=_("提供できること・進め方"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("課題に対して何ができるか、体制、進め方を書いてください。"),
    )
    resources = ResourceChoices(
        label=_("関わるリソース"),
        queryset=Resource.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("関わるリソースを1件以上選んでください。")},
    )
    period_start = forms.DateField(label=_("実施期間（開始）"), required=False, widget=DateInput)
    period_end = forms.DateField(label=_("実施期間（終了）"), required=False, widget=DateInput)
    public_cost = _yen(_("区に求める費用（円）"), _("区の負担を求めない場合は 0 のまま。"))
    partner_cost = _yen(_("団体が負担する費用（円）"))
    in_kind_value = _yen(
        _("現物提供の評価額（円）"), _("人材・施設・機材などを金額に換算した目安。")
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["resources"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Resource.objects.filter(
            organization=organization, status=ResourceStatus.ACTIVE
        ).order_by("title", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("終了日は開始日以降にしてください。"))
        for name in ("public_cost", "partner_cost", "in_kind_value"):
            if data.get(name) is None:
                data[name] = 0
        return data


class PartnerProposalDecisionForm(DecisionForm):
    """The candidates' decision form; a partner's proposal carries its state, not a version."""

    version = None  # type: ignore[assignment]
