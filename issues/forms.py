"""Forms: every input to the issue screens is validated here (clear Japanese messages)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.fields import CREATE_ONLY_FIELDS, FORM_FIELDS
from issues.models import PUBLIC_STATUSES, Issue, IssueLinkKind, IssueStatus, TargetGroup
from issues.selectors import SORTS
from issues.workflow import CREATE_STATUSES
from portal.choices import SDG_GOALS, ResourceKind
from portal.formtools import PortalForm, PortalModelForm, sdg_filter_field
from portal.identifiers import reference_key
from portal.localcontent import EnglishFieldsFormMixin
from portal.models import Field, Role, User, Ward
from portal.once import OnceFormMixin
from portal.tabular import DEFAULT_MAX_BYTES, cell_is_formula
from portal.uploads import SpreadsheetFileField

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class WardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Ward) -> str:
        return obj.local_name


def coordinator_label(user: User) -> str:
    """「名前（千代田区）」 / "Name (Chiyoda)": a coordinator and the ward they work for."""
    ward = cast(Ward, user.ward).local_name if user.ward_id else _("全区")
    return _("%(name)s（%(y)s）") % {"name": user, "y": ward}


class CoordinatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return coordinator_label(obj)


def coordinator_queryset():
    return (
        User.objects.filter(role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True)
        .select_related("ward")
        .order_by("ward__code", "username")
    )


class IssueForm(EnglishFieldsFormMixin, OnceFormMixin, PortalModelForm):
    """Registration and edit (coordinators and admins; also on behalf of a resident)."""

    ref = forms.CharField(
        label=_("整理番号"),
        max_length=40,
        required=False,
        help_text=_("空欄なら「区コード-年-連番」で自動採番します（例: 13101-2026-0001）。"),
    )
    ward = WardChoiceField(
        label=_("区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        empty_label=_("区を問わない"),
        error_messages={"invalid_choice": _("区を一覧から選んでください。")},
    )
    field = forms.ModelChoiceField(
        label=_("分野"),
        queryset=Field.objects.all(),
        error_messages={
            "invalid_choice": _("分野を一覧から選んでください。"),
            "required": _("分野を選んでください。"),
        },
    )
    urgency = forms.TypedChoiceField(
        label=_("緊急度"),
        choices=SCORE_CHOICES,
        coerce=int,
        initial=3,
        help_text=_("1（低い）〜5（高い）"),
        error_messages={"invalid_choice": _("1〜5で選んでください。")},
    )
    importance = forms.TypedChoiceField(
        label=_("重要度"),
        choices=SCORE_CHOICES,
        coerce=int,
        initial=3,
        help_text=_("1（低い）〜5（高い）"),
        error_messages={"invalid_choice": _("1〜5で選んでください。")},
    )
    difficulty = forms.TypedChoiceField(
        label=_("解決困難度"),
        choices=SCORE_CHOICES,
        coerce=int,
        initial=3,
        help_text=_("1（易しい）〜5（難しい）"),
        error_messages={"invalid_choice": _("1〜5で選んでください。")},
    )
    sdgs = forms.TypedMultipleChoiceField(
        label=_("SDGs"),
        choices=SDG_GOALS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_groups = forms.MultipleChoiceField(
        label=_("対象者"),
        choices=TargetGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    desired_resource_kinds = forms.MultipleChoiceField(
        label=_("求めるリソース"),
        choices=ResourceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(
        label=_("登録時の状態"),
        choices=[(s.value, s.label) for s in CREATE_STATUSES],
        initial=IssueStatus.DRAFT,
    )
    coordinator = CoordinatorChoiceField(
        label=_("担当コーディネーター"),
        queryset=coordinator_queryset(),
        required=False,
        empty_label=_("未定"),
    )

    class Meta:
        model = Issue
        fields = FORM_FIELDS
        widgets = {
            "desired_start": forms.DateInput(attrs={"type": "date"}),
            "desired_end": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "summary_en": forms.Textarea(attrs={"rows": 4}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
            "internal_note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"latitude": _("緯度"), "longitude": _("経度")}
        help_texts = {
            "area": _("例: 神田錦町2丁目"),
            "internal_note": _("区の職員・管理者・評価担当だけが見られます。公開されません。"),
            "evidence": _("アンケート結果や統計など、課題の根拠"),
        }

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].error_messages["required"] = _("課題名を入力してください。")
        self.fields["description"].error_messages["required"] = _("課題の内容を入力してください。")
        cast(forms.CharField, self.fields["description"]).max_length = 5000
        self.fields["description"].widget.attrs["maxlength"] = 5000
        self.fields["title"].widget.attrs["maxlength"] = 200
        for name in ("latitude", "longitude"):
            self.fields[name].required = False
        if editing:
            for name in CREATE_ONLY_FIELDS:
                del self.fields[name]
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        # The same rule as the import: text a spreadsheet would run as a formula is refused, so
        # every exported file re-imports unchanged.
        for name in ("title", "description", "area", "evidence"):
            if cell_is_formula(cleaned.get(name)):
                self.add_error(
                    name,
                    _(
                        "「=」「+」「-」「@」で始まる文は登録できません（表計算ソフトの数式とみなされます）。"
                    ),
                )
        return cleaned

    def clean_title(self) -> str:
        value = (self.cleaned_data.get("title") or "").strip()
        if not value:
            raise forms.ValidationError(_("課題名を入力してください。"))
        return value

    def clean_description(self) -> str:
        value = (self.cleaned_data.get("description") or "").strip()
        if not value:
            raise forms.ValidationError(_("課題の内容を入力してください。"))
        if len(value) > 5000:
            raise forms.ValidationError(_("課題の内容は5000文字以内にしてください。"))
        return value

    def clean_ref(self) -> str:
        value = (self.cleaned_data.get("ref") or "").strip()
        if value and Issue.objects.filter(ref_key=reference_key(value)).exists():
            raise forms.ValidationError(_("この整理番号は既に使われています。"))
        return value

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not 35.4 <= value <= 35.9:
            raise forms.ValidationError(_("緯度は東京23区の範囲（35.4〜35.9）で入力してください。"))
        return value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not 139.5 <= value <= 140.0:
            raise forms.ValidationError(
                _("経度は東京23区の範囲（139.5〜140.0）で入力してください。")
            )
        return value


class TriageFilterForm(PortalForm):
    q = forms.CharField(label=_("キーワード"), required=False, max_length=100)
    ward = WardChoiceField(
        label=_("区"),
        queryset=Ward.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("すべて"),
    )
    field = forms.ModelChoiceField(
        label=_("分野"), queryset=Field.objects.all(), required=False, empty_label=_("すべて")
    )
    status = forms.ChoiceField(
        label=_("状態"), choices=[("", _("すべて")), *IssueStatus.choices], required=False
    )
    sdg = sdg_filter_field()
    coordinator = forms.ChoiceField(label=_("担当"), required=False)
    priority_min = forms.IntegerField(
        label=_("優先度（下限）"), min_value=0, max_value=100, required=False
    )
    priority_max = forms.IntegerField(
        label=_("優先度（上限）"), min_value=0, max_value=100, required=False
    )
    sort = forms.ChoiceField(
        label=_("並び順"),
        required=False,
        choices=[
            ("priority", _("優先度の高い順")),
            ("-priority", _("優先度の低い順")),
            ("new", _("新しい順")),
            ("old", _("古い順")),
            ("updated", _("更新の新しい順")),
            ("ref", _("整理番号順")),
            ("ward", _("区の順")),
        ],
    )

    def __init__(self, *args, coordinators: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["coordinator"]).choices = [
            ("", _("すべて")),
            ("none", _("未割当")),
            *[(str(u.pk), str(u)) for u in coordinators],
        ]

    def clean_sort(self) -> str:
        value = self.cleaned_data.get("sort") or "priority"
        return value if value in SORTS else "priority"

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "ward": data.get("ward"),
            "field": data.get("field"),
            "status": data.get("status") or "",
            "sdg": data.get("sdg"),
            "coordinator": data.get("coordinator") or None,
            "priority_min": data.get("priority_min"),
            "priority_max": data.get("priority_max"),
            "sort": data.get("sort") or "priority",
        }


class VersionedForm(PortalForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("状態"), choices=IssueStatus.choices)


class ScoresForm(VersionedForm):
    urgency = forms.TypedChoiceField(label=_("緊急度"), choices=SCORE_CHOICES, coerce=int)
    importance = forms.TypedChoiceField(label=_("重要度"), choices=SCORE_CHOICES, coerce=int)
    difficulty = forms.TypedChoiceField(label=_("解決困難度"), choices=SCORE_CHOICES, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = _("1〜5で選んでください。")


class CoordinatorForm(VersionedForm):
    coordinator = CoordinatorChoiceField(
        label=_("担当"), queryset=coordinator_queryset(), required=False, empty_label=_("未定")
    )


class BulkAssignForm(PortalForm):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    coordinator = CoordinatorChoiceField(
        label=_("担当にする人"),
        queryset=coordinator_queryset(),
        required=False,
        empty_label=_("担当を外す"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].error_messages["required"] = _("課題を1件以上選んでください。")

    def clean_ids(self):
        return self.cleaned_data["ids"]

    def full_clean(self):
        # Any id is accepted here; the service checks which ones the user may change.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(value, value) for value in raw]
        super().full_clean()


class LinkForm(PortalForm):
    other = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("関係"), choices=IssueLinkKind.choices)
    similarity = forms.FloatField(widget=forms.HiddenInput, required=False)


class SimilarDraftForm(PortalForm):
    """The registration or edit form's text as it is being typed (似ている課題, before saving)."""

    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(max_length=5000, required=False)
    field = forms.ModelChoiceField(queryset=Field.objects.all(), required=False)
    # The issue being edited, so it is not shown as similar to itself.
    editing = forms.IntegerField(required=False, min_value=1)


class ImportForm(PortalForm):
    file = SpreadsheetFileField(
        max_bytes=DEFAULT_MAX_BYTES,
        label=_("ファイル（CSV または Excel）"),
        help_text=_("UTF-8・UTF-8（BOM付き）・Shift_JIS（CP932）のCSV、または .xlsx。10MBまで。"),
    )


class PublicFilterForm(PortalForm):
    q = forms.CharField(label=_("キーワード"), required=False, max_length=100)
    ward = WardChoiceField(
        label=_("区"),
        queryset=Ward.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("すべて"),
    )
    field = forms.ModelChoiceField(
        label=_("分野"), queryset=Field.objects.all(), required=False, empty_label=_("すべて")
    )
    status = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[("", _("すべて"))] + [(s.value, s.label) for s in PUBLIC_STATUSES],
    )
