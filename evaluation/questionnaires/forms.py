"""Forms of questionnaires: building one (its questions as a formset) and answering one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.questionnaires.models import Question, QuestionKind, Questionnaire
from matching.projects.models import Project
from portal.formtools import PortalForm, PortalModelForm
from portal.once import OnceFormMixin

QUESTION_ROWS = 8
SCALE_LABELS = {
    1: _("1（不満）"),
    2: _("2"),
    3: _("3（どちらともいえない）"),
    4: _("4"),
    5: _("5（満足）"),
}


class QuestionnaireForm(OnceFormMixin, PortalModelForm):
    project = forms.ModelChoiceField(
        label=_("連携事業"),
        queryset=Project.objects.order_by("-start_date"),
        required=False,
        empty_label=_("（プラットフォーム全体）"),
    )

    class Meta:
        model = Questionnaire
        fields = ["title", "intro", "project", "anonymous", "public_link", "closes_on"]
        widgets = {
            "closes_on": forms.DateInput(attrs={"type": "date"}),
            "intro": forms.Textarea(attrs={"rows": 3}),
        }


class QuestionForm(PortalForm):
    text = forms.CharField(label=_("設問"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("回答の形式"), choices=QuestionKind.choices)
    choices = forms.CharField(
        label=_("選択肢（1行に1つ）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    required = forms.BooleanField(label=_("回答必須"), required=False, initial=True)
    feeds_satisfaction = forms.BooleanField(label=_("満足度の設問（KPIに集計）"), required=False)

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


QuestionFormSet = forms.formset_factory(QuestionForm, extra=QUESTION_ROWS, max_num=QUESTION_ROWS)


def starter_questions() -> list[dict[str, Any]]:
    """The first rows of a new questionnaire: the satisfaction question and a free comment."""
    return [
        {
            "text": str(_("全体としての満足度を教えてください。")),
            "kind": QuestionKind.SCALE,
            "required": True,
            "feeds_satisfaction": True,
        },
        {"text": str(_("ご意見・ご要望があればお書きください。")), "kind": QuestionKind.TEXT},
    ]


class AnswerForm(PortalForm):
    """One field per question: q_<id>."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            field: forms.Field
            if question.kind == QuestionKind.SCALE:
                field = forms.TypedChoiceField(
                    choices=list(SCALE_LABELS.items()), coerce=int, widget=forms.RadioSelect
                )
            elif question.kind == QuestionKind.SINGLE:
                field = forms.ChoiceField(
                    choices=[(c, c) for c in question.choices], widget=forms.RadioSelect
                )
            elif question.kind == QuestionKind.MULTIPLE:
                field = forms.MultipleChoiceField(
                    choices=[(c, c) for c in question.choices],
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                field = forms.CharField(max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
            field.label = question.text
            field.required = question.required
            self.fields[f"q_{question.pk}"] = field

    def answers(self) -> dict[int, Any]:
        return {q.pk: self.cleaned_data.get(f"q_{q.pk}") for q in self.questions}
