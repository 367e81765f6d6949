"""Forms: every input is validated here before a service sees it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import (
    CaseFactor,
    CaseStudy,
    Continuation,
    ImprovementAction,
    IndicatorDefinition,
    IndicatorKind,
    Level,
    ProjectIndicator,
    ReportFile,
    RespondentType,
    Term,
)
from evaluation.report import csv_language
from portal.fiscal import current_fiscal_year, fiscal_year_label
from portal.formtools import PortalForm, PortalModelForm, lazy_percent
from portal.localcontent import EnglishFieldsFormMixin
from portal.models import Ward
from portal.once import OnceFormMixin
from portal.uploads import SpreadsheetFileField

MAX_UPLOAD = 2 * 1024 * 1024


def fiscal_year_choices() -> list[tuple[int, str]]:
    current = current_fiscal_year()
    return [(fy, fiscal_year_label(fy)) for fy in range(current + 1, current - 7, -1)]


class PeriodForm(PortalForm):
    """The 年度 / ward filter of the dashboard and report screens."""

    fy = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    ward = forms.ModelChoiceField(
        label=_("区"),
        queryset=Ward.objects.all(),
        required=False,
        empty_label=_("全区"),
        to_field_name="code",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = fiscal_year_choices()
        # Unbound (first visit): show the year the page reports, not the first option.
        self.fields["fy"].initial = current_fiscal_year()

    def period(self) -> tuple[int, Ward | None]:
        if self.is_valid():
            return self.cleaned_data.get("fy") or current_fiscal_year(), self.cleaned_data.get(
                "ward"
            )
        return current_fiscal_year(), None


class ReportRequestForm(PortalForm):
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    quarter = forms.TypedChoiceField(
        label=_("期間"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("年間"))]
        + [(q, lazy_percent(_("第%(q)d四半期"), {"q": q})) for q in (1, 2, 3, 4)],
    )
    format = forms.ChoiceField(label=_("形式"), choices=[("pdf", "PDF"), ("csv", "CSV")])
    ward = forms.ModelChoiceField(
        label=_("区"), queryset=Ward.objects.all(), required=False, empty_label=_("全区")
    )
    language = forms.ChoiceField(
        label=_("CSVの言語"), choices=ReportFile.Language.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = fiscal_year_choices()
        # Unless chosen, a CSV is in the language of the screen it was asked for on.
        self.fields["language"].initial = csv_language()


class IndicatorAddForm(OnceFormMixin, PortalForm):
    definition = forms.ModelChoiceField(
        label=_("標準指標から選ぶ"),
        queryset=IndicatorDefinition.objects.select_related("field"),
        required=False,
        empty_label=_("（独自の指標を作る）"),
    )
    name = forms.CharField(label=_("指標名（独自の指標）"), max_length=120, required=False)
    level = forms.ChoiceField(label=_("段階"), choices=Level.choices, required=False)
    kind = forms.ChoiceField(label=_("種類"), choices=IndicatorKind.choices, required=False)
    term = forms.ChoiceField(label=_("期間"), choices=Term.choices, required=False)
    unit = forms.CharField(label=_("単位"), max_length=20, required=False)
    baseline = forms.DecimalField(
        label=_("基準値"), max_digits=14, decimal_places=2, required=False
    )
    target = forms.DecimalField(label=_("目標値"), max_digits=14, decimal_places=2, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("definition") and not data.get("name"):
            raise forms.ValidationError(_("標準指標を選ぶか、独自の指標名を入力してください。"))
        if not data.get("definition") and not data.get("level"):
            self.add_error("level", _("独自の指標には段階を選んでください。"))
        return data


class MeasurementForm(OnceFormMixin, PortalForm):
    indicator = forms.ModelChoiceField(label=_("指標"), queryset=ProjectIndicator.objects.none())
    measured_on = forms.DateField(label=_("測定日"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("値"), max_digits=14, decimal_places=2, required=False)
    text = forms.CharField(
        label=_("定性評価"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, indicators=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Any indicator is accepted here; the service refuses one the project does not use.
        self.fields["indicator"].queryset = ProjectIndicator.objects.all()
        self.fields["indicator"].widget.choices = [("", "---------")] + [
            (i.pk, i.name) for i in (indicators or [])
        ]


class MeasurementUploadForm(PortalForm):
    file = SpreadsheetFileField(
        max_bytes=MAX_UPLOAD,
        label=_("CSV / Excel ファイル"),
        help_text=_("列: 指標（名前またはID）, 測定日（YYYY-MM-DD）, 値, 定性評価"),
    )


class SurveyForm(OnceFormMixin, PortalForm):
    respondent_type = forms.ChoiceField(label=_("回答者"), choices=RespondentType.choices)
    score = forms.IntegerField(label=_("満足度（1〜5）"), min_value=1, max_value=5)
    comment = forms.CharField(
        label=_("自由記述"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    answered_on = forms.DateField(label=_("回答日"), widget=forms.DateInput(attrs={"type": "date"}))


class ActionUpdateForm(PortalForm):
    status = forms.ChoiceField(label=_("対応状況"), choices=ImprovementAction.Status.choices)
    note = forms.CharField(
        label=_("対応内容"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    decided_on = forms.DateField(
        label=_("判定日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ContinuationForm(OnceFormMixin, PortalForm):
    years = forms.TypedChoiceField(
        label=_("時点"), coerce=int, choices=[(1, _("開始1年後")), (2, _("開始2年後"))]
    )
    state = forms.ChoiceField(label=_("状態"), choices=Continuation.State.choices)
    note = forms.CharField(
        label=_("備考"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(OnceFormMixin, PortalForm):
    indicator = forms.ModelChoiceField(label=_("指標"), queryset=ProjectIndicator.objects.none())
    threshold = forms.DecimalField(label=_("達成基準値"), max_digits=14, decimal_places=2)
    amount = forms.IntegerField(label=_("支払額（円）"), min_value=0, max_value=10**12)
    verification_date = forms.DateField(
        label=_("検証日"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("備考"), max_length=300, required=False)

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["indicator"].queryset = ProjectIndicator.objects.filter(
                project=project, kind="quantitative"
            )


class DeviceFeedForm(OnceFormMixin, PortalForm):
    name = forms.CharField(label=_("連携名（機器・アプリ）"), max_length=100)


class CaseForm(EnglishFieldsFormMixin, OnceFormMixin, PortalModelForm):
    success_factors = forms.MultipleChoiceField(
        label=_("成功要因"),
        choices=CaseFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    failure_factors = forms.MultipleChoiceField(
        label=_("課題・失敗要因"),
        choices=CaseFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CaseStudy
        fields = [
            "kind",
            "title",
            "summary",
            "success_factors",
            "failure_factors",
            "factors_note",
            "lessons",
            "title_en",
            "summary_en",
            "lessons_en",
            "published",
        ]


class CaseReuseForm(PortalForm):
    ward = forms.ModelChoiceField(label=_("活用した区"), queryset=Ward.objects.all())
    reused_on = forms.DateField(label=_("活用日"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("備考"), max_length=300, required=False)


class WardTargetsForm(PortalForm):
    """A ward's own target per KPI (empty: the default derived from the 23-ward target)."""

    def __init__(self, *args, codes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = codes
        for code in codes:
            self.fields[f"t_{code}"] = forms.DecimalField(
                required=False, min_value=0, max_digits=14, decimal_places=2
            )
            self.fields[f"n_{code}"] = forms.CharField(required=False, max_length=300)

    def targets(self) -> dict:
        data = self.cleaned_data
        return {code: (data[f"t_{code}"], data[f"n_{code}"].strip()) for code in self.codes}
