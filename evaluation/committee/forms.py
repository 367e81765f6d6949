"""Forms of the committee screens: members, the rubric, a member's review, opinions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.committee.models import RubricCriterion
from evaluation.forms import fiscal_year_choices
from evaluation.models import CommitteeMember, ReviewKind
from portal.formtools import PortalForm, PortalModelForm
from portal.once import OnceFormMixin

SCORE_CHOICES = [("", "—")] + [(n, str(n)) for n in range(5, 0, -1)]


class CommitteeMemberForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["name", "affiliation", "background", "appointed_on", "active"]
        widgets = {"appointed_on": forms.DateInput(attrs={"type": "date"})}


class CriterionForm(PortalModelForm):
    class Meta:
        model = RubricCriterion
        fields = ["name", "description", "order", "active"]


class ConflictForm(OnceFormMixin, PortalForm):
    member = forms.ModelChoiceField(label=_("委員"), queryset=CommitteeMember.objects.all())
    reason = forms.CharField(label=_("利害関係の内容"), max_length=300)


class ReviewForm(OnceFormMixin, PortalForm):
    """A member's review: a 1–5 score and a comment for each active criterion of the rubric."""

    member = forms.ModelChoiceField(
        label=_("委員"), queryset=CommitteeMember.objects.filter(active=True)
    )
    kind = forms.ChoiceField(label=_("評価の種類"), choices=ReviewKind.choices)
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    comment = forms.CharField(
        label=_("講評"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    recommendations = forms.CharField(
        label=_("提言（1行に1件、それぞれ改善アクションになります）"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    action_due_date = forms.DateField(
        label=_("改善アクションの期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, criteria: list[RubricCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fiscal_year"]).choices = fiscal_year_choices()
        self.criteria = criteria
        rubric: dict[str, forms.Field] = {}
        for criterion in criteria:
            rubric[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=_("%(name)s（1〜5）") % {"name": criterion.name},
                choices=SCORE_CHOICES,
                coerce=int,
                help_text=criterion.description,
            )
            rubric[f"note_{criterion.pk}"] = forms.CharField(
                label=_("%(name)s へのコメント") % {"name": criterion.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        # The rubric comes after who / which review, before the overall comment.
        names = list(self.fields)
        head = names[: names.index("comment")]
        tail = [n for n in names if n not in head]
        self.fields = (
            {name: self.fields[name] for name in head}
            | rubric
            | {name: self.fields[name] for name in tail}
        )


class OpinionForm(OnceFormMixin, PortalForm):
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    text = forms.CharField(
        label=_("委員会の意見"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fiscal_year"]).choices = fiscal_year_choices()
