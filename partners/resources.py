"""The resource spreadsheet: columns, header aliases, row parsing and export rows.

Import and export share these definitions so that an export re-imports unchanged.
The row checks here are pure (no writes); partners.services.resources_import writes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields as ie_fields
from import_export import resources as ie_resources

from partners.models import (
    CAPACITY_MAX,
    CAPACITY_MESSAGE,
    CAPACITY_MIN,
    Organization,
    OrgType,
    Resource,
)
from partners.validators import corporate_number_normalize, validate_corporate_number
from portal.choices import SDG_GOALS, ResourceKind
from portal.tabular import Refusal
from portal.xlsx import date_plain

COLUMNS = [
    "ref",
    "organization",
    "org_type",
    "corporate_number",
    "kind",
    "title",
    "description",
    "wards",
    "fields",
    "sdgs",
    "capacity",
    "capacity_note",
    "available_from",
    "available_until",
    "academic_term",
    "conditions",
]
REQUIRED = ["ref", "organization", "org_type", "kind", "title", "description", "wards"]

HEADER_ALIASES = {
    "整理番号": "ref",
    "resource_ref": "ref",
    "リソース番号": "ref",
    "団体名": "organization",
    "組織名": "organization",
    "organisation": "organization",
    "種別": "org_type",
    "団体種別": "org_type",
    "法人番号": "corporate_number",
    "種類": "kind",
    "リソースの種類": "kind",
    "タイトル": "title",
    "件名": "title",
    "内容": "description",
    "説明": "description",
    "対象区": "wards",
    "区": "wards",
    "分野": "fields",
    "sdg": "sdgs",
    "受入可能件数": "capacity",
    "定員": "capacity",
    "規模": "capacity_note",
    "規模(人数・金額など)": "capacity_note",
    "提供開始日": "available_from",
    "開始日": "available_from",
    "提供終了日": "available_until",
    "終了日": "available_until",
    "学期": "academic_term",
    "条件": "conditions",
}

ORG_TYPE_ALIASES = {
    "企業": OrgType.COMPANY,
    "会社": OrgType.COMPANY,
    "大学": OrgType.UNIVERSITY,
    "研究機関": OrgType.RESEARCH,
    "npo": OrgType.NPO,
    "npo法人": OrgType.NPO,
    "npo・市民団体": OrgType.NPO,
    "市民団体": OrgType.NPO,
    "公的機関": OrgType.PUBLIC,
    "その他": OrgType.OTHER,
}

MAX_TEXT = {"title": 200, "description": 5000, "capacity_note": 200, "academic_term": 50}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFKC", _text(value)).strip().lower()


def org_type_parse(value: Any) -> str | None:
    key = _norm(value)
    if key in OrgType.values:
        return key
    if key in ORG_TYPE_ALIASES:
        return str(ORG_TYPE_ALIASES[key])
    for choice in OrgType:
        if key == _norm(choice.label):
            return choice.value
    return None


def kind_parse(value: Any) -> str | None:
    key = _norm(value)
    for choice in ResourceKind:
        if key in {choice.value, _norm(choice.label)}:
            return choice.value
        # "技術" for "技術・ノウハウ", "人材" for "人材・ボランティア"
        if key and key == _norm(choice.label).split("・")[0]:
            return choice.value
    return None


def date_parse(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return date_plain(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def split_list(value: Any) -> list[str]:
    text = unicodedata.normalize("NFKC", _text(value))
    text = text.replace("、", ";").replace(",", ";")
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass
class ParsedRow:
    line: int
    ref: str
    organization: str
    org_type: str
    corporate_number: str
    values: dict[str, Any] = field(default_factory=dict)
    ward_ids: list[int] = field(default_factory=list)
    field_ids: list[int] = field(default_factory=list)


def row_parse(
    *,
    line: int,
    row: dict[str, Any],
    wards: dict[str, Any],
    fields_by_name: dict[str, Any],
    label: Callable[[str], str] = str,
) -> tuple[ParsedRow | None, list[Refusal]]:
    """Checks one row; answers the parsed row, or None with refusals naming the row and the
    column by `label` (the header the file used for a canonical column)."""
    errors: list[Refusal] = []

    def err(column: str, message: str) -> None:
        errors.append((line, label(column), message))

    ref = _text(row.get("ref"))
    if not ref:
        err("ref", _("整理番号が空です。"))
    elif len(ref) > 40:
        err("ref", _("整理番号は40文字以内にしてください。"))
    organization = _text(row.get("organization"))
    if not organization:
        err("organization", _("団体名が空です。"))
    elif len(organization) > 200:
        err("organization", _("団体名は200文字以内にしてください。"))
    org_type = org_type_parse(row.get("org_type"))
    if org_type is None:
        err(
            "org_type",
            _("種別「%(v)s」は使えません（企業・大学・研究機関・NPO・公的機関・その他）。")
            % {"v": _text(row.get("org_type"))},
        )
    corporate_number = corporate_number_normalize(_text(row.get("corporate_number")))
    if corporate_number:
        try:
            validate_corporate_number(corporate_number)
        except ValidationError as exc:
            err("corporate_number", " ".join(exc.messages))
    kind = kind_parse(row.get("kind"))
    if kind is None:
        err("kind", _("リソースの種類「%(v)s」は使えません。") % {"v": _text(row.get("kind"))})
    values: dict[str, Any] = {"kind": kind}
    for column in ("title", "description", "capacity_note", "academic_term", "conditions"):
        values[column] = _text(row.get(column))
        limit = MAX_TEXT.get(column, 2000)
        if len(values[column]) > limit:
            err(column, _("%(n)d文字以内にしてください。") % {"n": limit})
    if not values["title"]:
        err("title", _("タイトルが空です。"))
    if not values["description"]:
        err("description", _("内容が空です。リソースの内容を書いてください。"))
    capacity_text = _text(row.get("capacity"))
    values["capacity"] = 1
    if capacity_text:
        # Whatever is wrong with it (「1,000」, 「5件」, 0), the person is told the range.
        try:
            values["capacity"] = int(unicodedata.normalize("NFKC", capacity_text))
        except ValueError:
            values["capacity"] = 0
        if not CAPACITY_MIN <= values["capacity"] <= CAPACITY_MAX:
            err("capacity", str(CAPACITY_MESSAGE))
    for column in ("available_from", "available_until"):
        try:
            values[column] = date_parse(row.get(column))
        except ValueError:
            values[column] = None
            err(column, _("日付は YYYY-MM-DD の形式で入力してください。"))
    if (
        values["available_from"]
        and values["available_until"]
        and values["available_until"] < values["available_from"]
    ):
        err("available_until", _("提供終了日が提供開始日より前になっています。"))
    ward_ids = []
    for name in split_list(row.get("wards")):
        ward = wards.get(_norm(name)) or wards.get(_norm(name) + "区")
        if ward is None:
            err("wards", _("区「%(v)s」が見つかりません。") % {"v": name})
        else:
            ward_ids.append(ward.pk)
    values["serves_all_wards"] = not ward_ids
    field_ids = []
    for name in split_list(row.get("fields")):
        found = fields_by_name.get(_norm(name))
        if found is None:
            err("fields", _("分野「%(v)s」が見つかりません。") % {"v": name})
        else:
            field_ids.append(found.pk)
    sdgs = []
    valid_goals = {goal for goal, _label in SDG_GOALS}
    for item in split_list(row.get("sdgs")):
        try:
            goal = int(item.removeprefix("sdg").removeprefix("SDG").strip())
        except ValueError:
            goal = 0
        if goal not in valid_goals:
            err("sdgs", _("SDGs「%(v)s」は1〜17の番号で入力してください。") % {"v": item})
        elif goal not in sdgs:
            sdgs.append(goal)
    values["sdgs"] = sorted(sdgs)
    if errors:
        return None, errors
    return (
        ParsedRow(
            line=line,
            ref=ref,
            organization=organization,
            org_type=str(org_type),
            corporate_number=corporate_number,
            values=values,
            ward_ids=sorted(set(ward_ids)),
            field_ids=sorted(set(field_ids)),
        ),
        [],
    )


def ward_lookup(wards) -> dict[str, Any]:
    """Every spelling of every ward (codes, kanji with and without 区, English) → Ward."""
    lookup: dict[str, Any] = {}
    for ward in wards:
        for key in (ward.code, ward.code_with_check_digit, ward.name_ja, ward.name_en):
            lookup[_norm(key)] = ward
        lookup[_norm(ward.name_ja.removesuffix("区"))] = ward
    return lookup


def field_lookup(fields) -> dict[str, Any]:
    lookup: dict[str, Any] = {}
    for item in fields:
        lookup[_norm(item.name)] = item
        if item.name_en:
            lookup[_norm(item.name_en)] = item
    return lookup


def resource_row(resource: Resource) -> list[Any]:
    """One export row; relies on organization selected and wards/fields prefetched."""
    org: Organization = resource.organization
    wards = "" if resource.serves_all_wards else ";".join(w.name_ja for w in resource.wards.all())
    return [
        resource.ref,
        org.name,
        org.org_type,
        org.corporate_number,
        resource.kind,
        resource.title,
        resource.description,
        wards,
        ";".join(f.name for f in resource.fields.all()),
        ";".join(str(goal) for goal in sorted(resource.sdgs or [])),
        resource.capacity,
        resource.capacity_note,
        resource.available_from.isoformat() if resource.available_from else "",
        resource.available_until.isoformat() if resource.available_until else "",
        resource.academic_term,
        resource.conditions,
    ]


class ResourceTable(ie_resources.ModelResource):
    """django-import-export view of the same columns (used by the admin's export action)."""

    organization = ie_fields.Field(column_name="organization")
    org_type = ie_fields.Field(column_name="org_type")
    corporate_number = ie_fields.Field(column_name="corporate_number")
    wards = ie_fields.Field(column_name="wards")
    fields = ie_fields.Field(column_name="fields")
    sdgs = ie_fields.Field(column_name="sdgs")

    class Meta:
        model = Resource
        fields = COLUMNS
        export_order = COLUMNS

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return resource_row(instance)
