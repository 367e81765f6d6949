"""The issue spreadsheet: columns, header aliases, django-import-export Resource and export rows.

Import and export share these definitions so that an export re-imports unchanged. Rows are
matched on ``ref`` compared as portal.identifiers.reference_key (full-width digits, other
dashes, spaces and case do not matter): a ref already in the database updates that issue,
keeping its ref as first given (unchanged rows are skipped), a new ref creates one. issues.services.issues_import runs the whole file in one
transaction: one bad row and nothing is written.
"""

from __future__ import annotations

import copy
import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields as ie_fields
from import_export import resources as ie_resources
from import_export import widgets as ie_widgets

from issues import permissions
from issues.fields import COLUMNS
from issues.models import Issue, IssueSource, IssueStatus, TargetGroup
from issues.priority import Weights, priority_compute, weights_current
from issues.signals import issue_status_changed
from portal.choices import SDG_GOALS, ResourceKind
from portal.formtools import yen_digits
from portal.history import history_stamp
from portal.identifiers import reference_key
from portal.models import Field, Ward
from portal.xlsx import date_plain

# Japanese column headers (and a few English variants) → canonical names. Header matching is
# NFKC-normalised and case-insensitive (portal.tabular.header_normalize).
HEADER_ALIASES = {
    "整理番号": "ref",
    "issue_ref": "ref",
    "課題番号": "ref",
    "課題名": "title",
    "タイトル": "title",
    "件名": "title",
    "課題の内容": "description",
    "内容": "description",
    "説明": "description",
    "区": "ward",
    "区名": "ward",
    "分野": "category",
    "field": "category",
    "町丁目・地域": "area",
    "町丁目": "area",
    "地域": "area",
    "緊急度": "urgency",
    "重要度": "importance",
    "解決困難度": "difficulty",
    "困難度": "difficulty",
    "状態": "status",
    "ステータス": "status",
    "sdg": "sdgs",
    "SDGs目標": "sdgs",
    "対象者": "target_groups",
    "対象": "target_groups",
    "把握の経緯": "source",
    "情報源": "source",
    "出典": "source",
    "根拠・統計": "evidence",
    "根拠": "evidence",
    "求めるリソース": "desired_resource_kinds",
    "resource_kinds": "desired_resource_kinds",
    "予算下限": "budget_min",
    "予算下限(円)": "budget_min",
    "予算上限": "budget_max",
    "予算上限(円)": "budget_max",
    "希望開始日": "desired_start",
    "開始日": "desired_start",
    "希望終了日": "desired_end",
    "終了日": "desired_end",
    "緯度": "latitude",
    "経度": "longitude",
}

MAX_TEXT = {"description": 5000, "evidence": 3000}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFKC", _text(value)).strip().lower()


def split_list(value: Any) -> list[str]:
    text = unicodedata.normalize("NFKC", _text(value))
    for sep in ("、", ","):
        text = text.replace(sep, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def _choice_lookup(choices) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for choice in choices:
        lookup[_norm(choice.value)] = choice.value
        lookup[_norm(choice.label)] = choice.value
    return lookup


class TextWidget(ie_widgets.CharWidget):
    def __init__(self, *, max_length: int | None = None, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if self.max_length and len(text) > self.max_length:
            raise ValueError(
                _("%(n)d文字以内にしてください（%(len)d文字あります）。")
                % {"n": self.max_length, "len": len(text)}
            )
        return text


class WardWidget(ie_widgets.Widget):
    """A ward given as a 5/6-digit code, a kanji name (区 optional) or English; empty = none."""

    def __init__(self) -> None:
        super().__init__()
        self._lookup: dict[str, Ward] | None = None

    def lookup(self) -> dict[str, Ward]:
        if self._lookup is None:
            self._lookup = {}
            for ward in Ward.objects.all():
                for key in (ward.code, ward.code_with_check_digit, ward.name_ja, ward.name_en):
                    self._lookup[_norm(key)] = ward
                self._lookup[_norm(ward.name_ja.removesuffix("区"))] = ward
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        key = _norm(value)
        if not key:
            return None
        ward = self.lookup().get(key) or self.lookup().get(key + "区")
        if ward is None:
            raise ValueError(_("区「%(v)s」が見つかりません。") % {"v": _text(value)})
        return ward

    def render(self, value, obj=None, **kwargs):
        return value.name_ja if value else ""


class CategoryWidget(ie_widgets.Widget):
    """The 分野 by its Japanese or English name (the editable list in portal.Field)."""

    def __init__(self) -> None:
        super().__init__()
        self._lookup: dict[str, Field] | None = None

    def clean(self, value, row=None, **kwargs):
        if self._lookup is None:
            self._lookup = {}
            for item in Field.objects.all():
                self._lookup[_norm(item.name)] = item
                if item.name_en:
                    self._lookup[_norm(item.name_en)] = item
        key = _norm(value)
        if not key:
            raise ValueError(_("分野が空です。"))
        found = self._lookup.get(key)
        if found is None:
            raise ValueError(
                _("分野「%(v)s」が見つかりません（分野の一覧にある名前を使ってください）。")
                % {"v": _text(value)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class ScoreWidget(ie_widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _norm(value)
        if not text:
            return 3
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal(0)
        if number != number.to_integral_value() or not 1 <= number <= 5:
            raise ValueError(_("1〜5の整数で入力してください（「%(v)s」）。") % {"v": _text(value)})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(ie_widgets.Widget):
    def __init__(self, choices, *, default: str) -> None:
        super().__init__()
        self.choices = choices
        self.default = default
        self.lookup = _choice_lookup(choices)

    def clean(self, value, row=None, **kwargs):
        key = _norm(value)
        if not key:
            return self.default
        if key not in self.lookup:
            allowed = "・".join(str(c.label) for c in self.choices)
            raise ValueError(
                _("「%(v)s」は使えません（%(allowed)s）。")
                % {"v": _text(value), "allowed": allowed}
            )
        return self.lookup[key]

    def render(self, value, obj=None, **kwargs):
        return str(self.choices(value).label) if value else ""


class ChoiceListWidget(ie_widgets.Widget):
    """';'-separated values or labels → a list of values (stored in a JSONField)."""

    def __init__(self, choices) -> None:
        super().__init__()
        self.choices = choices
        self.lookup = _choice_lookup(choices)

    def clean(self, value, row=None, **kwargs):
        result: list[str] = []
        for item in split_list(value):
            found = self.lookup.get(_norm(item))
            if found is None:
                raise ValueError(_("「%(v)s」は使えません。") % {"v": item})
            if found not in result:
                result.append(found)
        return result

    def render(self, value, obj=None, **kwargs):
        labels = []
        for item in value or []:
            try:
                labels.append(str(self.choices(item).label))
            except ValueError:
                labels.append(str(item))
        return ";".join(labels)


class SdgWidget(ie_widgets.Widget):
    valid = {goal for goal, _label in SDG_GOALS}

    def clean(self, value, row=None, **kwargs):
        goals: list[int] = []
        for item in split_list(value):
            try:
                goal = int(item.lower().removeprefix("sdg").strip())
            except ValueError:
                goal = 0
            if goal not in self.valid:
                raise ValueError(_("SDGs「%(v)s」は1〜17の番号で入力してください。") % {"v": item})
            if goal not in goals:
                goals.append(goal)
        return sorted(goals)

    def render(self, value, obj=None, **kwargs):
        return ";".join(str(goal) for goal in sorted(value or []))


class AmountWidget(ie_widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = yen_digits(_text(value))
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("金額は0以上の整数（円）で入力してください。")) from exc
        if number < 0 or number != number.to_integral_value() or number > 2_000_000_000:
            raise ValueError(_("金額は0以上の整数（円）で入力してください。"))
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class DateWidget(ie_widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return date_plain(value)
        text = unicodedata.normalize("NFKC", str(value)).strip().replace("/", "-").replace(".", "-")
        try:
            return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
        except ValueError as exc:
            raise ValueError(
                _("日付は YYYY-MM-DD の形式で入力してください（「%(v)s」）。") % {"v": text}
            ) from exc

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class CoordinateWidget(ie_widgets.Widget):
    def __init__(self, *, low: int, high: int) -> None:
        super().__init__()
        self.low, self.high = low, high

    def clean(self, value, row=None, **kwargs):
        text = _norm(value)
        if not text:
            return None
        try:
            number = Decimal(text).quantize(Decimal("0.000001"))
        except InvalidOperation as exc:
            raise ValueError(_("緯度・経度は数値で入力してください。")) from exc
        if not self.low <= number <= self.high:
            raise ValueError(_("緯度・経度が範囲外です。"))
        return number

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else format(value.normalize(), "f")


def _field(attribute: str, widget: ie_widgets.Widget, column: str | None = None) -> ie_fields.Field:
    return ie_fields.Field(attribute=attribute, column_name=column or attribute, widget=widget)


class IssueResource(ie_resources.ModelResource):
    ref = _field("ref", TextWidget(max_length=40))
    title = _field("title", TextWidget())
    description = _field("description", TextWidget(max_length=MAX_TEXT["description"]))
    ward = _field("ward", WardWidget())
    category = _field("field", CategoryWidget(), "category")
    area = _field("area", TextWidget())
    urgency = _field("urgency", ScoreWidget())
    importance = _field("importance", ScoreWidget())
    difficulty = _field("difficulty", ScoreWidget())
    status = _field("status", ChoiceWidget(IssueStatus, default=IssueStatus.DRAFT))
    sdgs = _field("sdgs", SdgWidget())
    target_groups = _field("target_groups", ChoiceListWidget(TargetGroup))
    source = _field("source", ChoiceWidget(IssueSource, default=IssueSource.STAFF))
    evidence = _field("evidence", TextWidget(max_length=MAX_TEXT["evidence"]))
    desired_resource_kinds = _field("desired_resource_kinds", ChoiceListWidget(ResourceKind))
    budget_min = _field("budget_min", AmountWidget())
    budget_max = _field("budget_max", AmountWidget())
    desired_start = _field("desired_start", DateWidget())
    desired_end = _field("desired_end", DateWidget())
    latitude = _field("latitude", CoordinateWidget(low=-90, high=90))
    longitude = _field("longitude", CoordinateWidget(low=-180, high=180))

    class Meta:
        model = Issue
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ["ref"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, *, user=None, weights: Weights | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.weights = weights
        # Issue pk → its status before this import's row moved it (announced after the save).
        self.status_moves: dict[int, str] = {}

    def before_import(self, dataset, **kwargs) -> None:
        for field in self.fields.values():
            if hasattr(field.widget, "_lookup"):
                field.widget._lookup = None  # wards and fields are read afresh for each file

    def get_instance(self, instance_loader, row):
        # The raw text, not the field's clean(): a ref over its length must be refused by
        # import_instance, which names the column, not raised here without one.
        ref = _text(row.get("ref"))
        if not ref:
            return None
        return Issue.objects.filter(ref_key=reference_key(ref)).first()

    def import_instance(self, instance: Issue, row, **kwargs) -> None:
        """Each row passes the checks of the screens: the ward rule and the status workflow."""
        stored = copy.copy(instance) if instance.pk else None
        super().import_instance(instance, row, **kwargs)
        if stored is None:
            # Its registrant from the start: a new ward-independent row is the importer's own.
            instance.created_by = self.user
        # Judged before the ref is set back, so a refusal quotes the ref as the file wrote it.
        problems = permissions.import_row_problems(user=self.user, stored=stored, row=instance)
        if problems:
            raise ValidationError(problems)
        if stored is not None:
            instance.ref = stored.ref  # another spelling of the same ref: kept as first given

    def before_save_instance(self, instance: Issue, row, **kwargs) -> None:
        weights = self.weights or weights_current()
        self.weights = weights
        instance.priority = priority_compute(
            urgency=instance.urgency,
            importance=instance.importance,
            difficulty=instance.difficulty,
            weights=weights,
        )
        now = timezone.now()
        if instance.pk is None:
            instance.created_by = self.user
            instance.status_changed_at = now
        else:
            previous = Issue.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
            if previous != instance.status:
                instance.status_changed_at = now
                self.status_moves[instance.pk] = previous or ""
            instance.version += 1
        history_stamp(instance, self.user, gettext_lazy("ファイルからの取り込み"))

    def after_save_instance(self, instance: Issue, row, **kwargs) -> None:
        """A row that moved an issue's status announces it, as the workflow screens do; a
        check (dry run) announces nothing, since its writes are rolled back."""
        previous = self.status_moves.pop(instance.pk, None)
        if previous and not self._is_dry_run(kwargs):
            issue_status_changed.send(
                sender=Issue,
                issue=instance,
                previous=previous,
                status=instance.status,
                changed_by=self.user,
            )


_export_fields: list[ie_fields.Field] = []


def issue_row(issue: Issue) -> list[Any]:
    """One export row in COLUMNS order; relies on ward and field being selected."""
    if not _export_fields:
        by_column = {f.column_name: f for f in IssueResource().fields.values()}
        _export_fields.extend(by_column[column] for column in COLUMNS)
    return [field.export(issue) for field in _export_fields]
