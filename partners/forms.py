"""Forms: every input to the partners screens is validated here (clear Japanese messages)."""

from __future__ import annotations

import unicodedata
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import (
    CAPACITY_MAX,
    CAPACITY_MESSAGE,
    CAPACITY_MIN,
    ContactPerson,
    Motive,
    Organization,
    OrgSize,
    OrgStatus,
    OrgType,
    Resource,
)
from partners.validators import (
    corporate_number_normalize,
    postal_code_normalize,
    validate_corporate_number,
    validate_postal_code,
)
from portal.choices import SDG_GOALS, ResourceKind
from portal.formtools import (
    FoldedEmailField,
    PortalForm,
    PortalModelForm,
    phone_validate,
    sdg_filter_field,
)
from portal.locking import VersionedFormMixin
from portal.models import Field, Ward
from portal.once import OnceFormMixin
from portal.tabular import DEFAULT_MAX_BYTES
from portal.uploads import SpreadsheetFileField

PHONE_HELP = _("例: 03-1234-5678")
# 法人番号 is required for companies; universities, groups and others may leave it empty.
CORPORATE_NUMBER_REQUIRED = {OrgType.COMPANY}


def _clean_phone(value: str) -> str:
    phone_validate(value)
    return unicodedata.normalize("NFKC", value or "").strip()


class OrganizationIdentityMixin:
    """法人番号 and 郵便番号 checks shared by the registration and the staff edit form."""

    cleaned_data: dict[str, Any]  # provided by the form class it is mixed into

    def clean_corporate_number(self) -> str:
        value = corporate_number_normalize(self.cleaned_data.get("corporate_number", ""))
        if value:
            validate_corporate_number(value)
        return value

    def clean_postal_code(self) -> str:
        value = (self.cleaned_data.get("postal_code") or "").strip()
        if not value:
            return ""
        validate_postal_code(value)
        return postal_code_normalize(value)

    def _check_corporate_number_required(self, cleaned: dict) -> None:
        if (
            cleaned.get("org_type") in CORPORATE_NUMBER_REQUIRED
            and not cleaned.get("corporate_number")
            and "corporate_number" not in self.errors  # type: ignore[attr-defined]
        ):
            self.add_error(  # type: ignore[attr-defined]
                "corporate_number", _("企業は法人番号（13桁）を入力してください。")
            )


class RegistrationForm(OnceFormMixin, OrganizationIdentityMixin, PortalForm):
    name = forms.CharField(label=_("団体名"), max_length=200)
    org_type = forms.ChoiceField(label=_("種別"), choices=OrgType.choices)
    size = forms.ChoiceField(
        label=_("規模"), choices=[("", "---------"), *OrgSize.choices], required=False
    )
    corporate_number = forms.CharField(
        label=_("法人番号"),
        max_length=20,
        required=False,
        help_text=_("13桁。企業は必須、大学・団体は任意です。"),
    )
    postal_code = forms.CharField(
        label=_("郵便番号"), max_length=10, required=False, help_text=_("例: 100-0001")
    )
    address = forms.CharField(label=_("所在地"), max_length=300, required=False)
    ward = forms.ModelChoiceField(
        label=_("所在区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        help_text=_("23区外の場合は空欄のままにしてください。"),
    )
    website = forms.URLField(
        label=_("ウェブサイト"), max_length=200, required=False, assume_scheme="https"
    )
    contact_name = forms.CharField(label=_("担当者氏名"), max_length=100)
    contact_role = forms.CharField(label=_("担当者の役職・役割"), max_length=100, required=False)
    contact_email = FoldedEmailField(label=_("担当者のメールアドレス"))
    contact_phone = forms.CharField(
        label=_("担当者の電話番号"), max_length=20, required=False, help_text=PHONE_HELP
    )
    resource_kind = forms.ChoiceField(
        label=_("提供できるリソースの種類"), choices=ResourceKind.choices
    )
    resource_title = forms.CharField(label=_("リソースのタイトル"), max_length=200)
    resource_description = forms.CharField(
        label=_("リソースの内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("リソースの内容を入力してください。")},
    )
    # Optional, so a first registration stays short; asked because the engine ranks a resource
    # on them (an unanswered one is "unknown", not a mismatch).
    resource_fields = forms.ModelMultipleChoiceField(
        label=_("分野"),
        queryset=Field.objects.order_by("order"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("任意。リソースが役立つ分野を選ぶと、合う課題が見つかりやすくなります。"),
    )
    resource_sdgs = forms.TypedMultipleChoiceField(
        label=_("SDGs"),
        choices=SDG_GOALS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("任意。関係するSDGsの目標を選んでください。"),
    )
    resource_wards = forms.ModelMultipleChoiceField(
        label=_("対象区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("任意。空欄のままなら23区すべてで提供できるものとして扱います。"),
    )
    homepage = forms.CharField(label=_("この欄は空欄のままにしてください"), required=False)
    agree = forms.BooleanField(
        label=_("入力した情報を区の担当者が連携のために利用することに同意します"), required=True
    )

    def clean_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("contact_phone", ""))

    def clean_resource_description(self) -> str:
        value = self.cleaned_data.get("resource_description", "").strip()
        if not value:
            raise forms.ValidationError(_("リソースの内容を入力してください。"))
        return value

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Django's clean() returns cleaned_data
        self._check_corporate_number_required(cleaned)
        return cleaned


class OrganizationForm(OrganizationIdentityMixin, VersionedFormMixin, PortalModelForm):
    """Staff edit every field; partners edit the profile (see PROFILE_FIELDS)."""

    motives = forms.MultipleChoiceField(
        label=_("連携の動機"),
        choices=Motive.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "org_type",
            "size",
            "corporate_number",
            "postal_code",
            "address",
            "ward",
            "website",
            "csr_policy",
            "research_fields",
            "motives",
            "serves_all_wards",
            "wards_served",
            "past_collaborations",
        ]
        widgets = {
            "wards_served": forms.CheckboxSelectMultiple,
            "csr_policy": forms.Textarea(attrs={"rows": 4}),
            "research_fields": forms.Textarea(attrs={"rows": 3}),
            "past_collaborations": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "serves_all_wards": _("チェックを外すと、下で選んだ区だけが対象になります。"),
        }

    def __init__(self, *args, partner: bool = False, registration: bool = False, **kwargs):
        """`partner`: the member's profile (identity fields disabled); `registration`: the
        member corrects a registration (修正依頼), with the sign-up's checks (RegistrationForm:
        a company gives its 法人番号)."""
        super().__init__(*args, **kwargs)
        self.registration = registration
        cast(forms.CharField, self.fields["corporate_number"]).max_length = 20
        self.fields["corporate_number"].validators = []
        cast(forms.ModelChoiceField, self.fields["wards_served"]).queryset = Ward.objects.order_by(
            "code"
        )
        if partner:
            # A partner keeps the profile current; identity changes go through staff.
            for name in ("name", "org_type", "corporate_number"):
                self.fields[name].disabled = True

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Django's clean() returns cleaned_data
        if self.registration:
            self._check_corporate_number_required(cleaned)
        if not cleaned.get("serves_all_wards") and not cleaned.get("wards_served"):
            self.add_error(
                "wards_served", _("活動できる区を1つ以上選ぶか、「全区で活動可能」にしてください。")
            )
        return cleaned


class ContactPersonForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "role", "email", "phone"]
        help_texts = {"phone": PHONE_HELP}

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))


class ResourceForm(OnceFormMixin, VersionedFormMixin, PortalModelForm):
    sdgs = forms.TypedMultipleChoiceField(
        label=_("SDGs"),
        choices=SDG_GOALS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(
        label=_("受入可能件数"),
        min_value=CAPACITY_MIN,
        max_value=CAPACITY_MAX,
        initial=1,
        error_messages={"min_value": CAPACITY_MESSAGE, "max_value": CAPACITY_MESSAGE},
        help_text=_("受け入れを止めるときは、0ではなく状態を「一時停止」にしてください。"),
    )

    class Meta:
        model = Resource
        fields = [
            "kind",
            "title",
            "description",
            "fields",
            "sdgs",
            "serves_all_wards",
            "wards",
            "capacity",
            "capacity_note",
            "available_from",
            "available_until",
            "academic_term",
            "conditions",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "fields": forms.CheckboxSelectMultiple,
            "wards": forms.CheckboxSelectMultiple,
            "available_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "available_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "description": {"required": _("リソースの内容を入力してください。")},
            "title": {"required": _("タイトルを入力してください。")},
        }
        help_texts = {
            "academic_term": _("大学の場合: 例「前期（4〜7月）」"),
            "capacity_note": _("例: 学生10名まで、年間50万円まで"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wards"].queryset = Ward.objects.order_by("code")
        self.fields["fields"].queryset = Field.objects.order_by("order", "name")

    def clean_description(self) -> str:
        value = (self.cleaned_data.get("description") or "").strip()
        if not value:
            raise forms.ValidationError(_("リソースの内容を入力してください。"))
        return value

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Django's clean() returns cleaned_data
        start, end = cleaned.get("available_from"), cleaned.get("available_until")
        if start and end and end < start:
            self.add_error("available_until", _("提供終了日は提供開始日以降の日付にしてください。"))
        if not cleaned.get("serves_all_wards") and not cleaned.get("wards"):
            self.add_error("wards", _("対象区を1つ以上選ぶか、「全区対象」にしてください。"))
        return cleaned


class ReviewForm(PortalForm):
    ACTIONS = [
        ("approve", _("承認する")),
        ("changes", _("修正を依頼する")),
        ("reject", _("却下する")),
        ("suspend", _("利用停止にする")),
    ]
    action = forms.ChoiceField(label=_("審査"), choices=ACTIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("理由・コメント（団体の担当者に表示されます）"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict:
        cleaned = cast("dict[str, Any]", super().clean())  # Django's clean() returns cleaned_data
        if (
            cleaned.get("action") in {"changes", "reject", "suspend"}
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("修正依頼・却下・利用停止には理由を入力してください。"))
        return cleaned


class MergeForm(PortalForm):
    survivor = forms.ModelChoiceField(
        label=_("統合先（残す団体）のID"),
        queryset=Organization.objects.none(),
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text=_("団体のIDは登録簿の詳細画面のアドレスや、上の候補一覧で確認できます。"),
        error_messages={
            "invalid_choice": _("統合先の団体が見つかりません。IDを確認してください。")
        },
    )
    confirm = forms.BooleanField(
        label=_("この団体のリソース・担当者・利用者を統合先へ移し、この団体を統合済みにします"),
        required=True,
    )

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["survivor"].queryset = targets


class ImportForm(PortalForm):
    file = SpreadsheetFileField(
        max_bytes=DEFAULT_MAX_BYTES,
        label=_("ファイル（CSV または Excel .xlsx）"),
        help_text=_("UTF-8・UTF-8(BOM付き)・Shift_JIS のCSV、またはExcel（.xlsx）。10MBまで。"),
    )


class RegistrySearchForm(PortalForm):
    q = forms.CharField(label=_("キーワード"), required=False, max_length=200)
    org_type = forms.ChoiceField(
        label=_("種別"), choices=[("", _("すべて")), *OrgType.choices], required=False
    )
    size = forms.ChoiceField(
        label=_("規模"), choices=[("", _("すべて")), *OrgSize.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("リソースの種類"),
        choices=[("", _("すべて")), *ResourceKind.choices],
        required=False,
    )
    field = forms.ModelChoiceField(
        label=_("分野"),
        queryset=Field.objects.order_by("order"),
        required=False,
        empty_label=_("すべて"),
    )
    ward = forms.ModelChoiceField(
        label=_("活動できる区"),
        queryset=Ward.objects.order_by("code"),
        required=False,
        empty_label=_("すべて"),
    )
    sdg = sdg_filter_field()
    status = forms.ChoiceField(
        label=_("審査状況"),
        choices=[("", _("すべて")), *[c for c in OrgStatus.choices if c[0] != OrgStatus.MERGED]],
        required=False,
    )
