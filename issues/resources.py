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
import itertools
import unicodedata
from collections.abc import Callable
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


# Rows per written batch (and per query that reads the file's stored issues).
BATCH_ROWS = 500
# Rows per UPDATE of a batch's changed issues (see IssueResource._bulk_save).
UPDATE_BATCH_ROWS = 100
# How often the import reports its progress (rows).
PROGRESS_ROWS = 100
# Keys whose value, when set, was read from the database by this import (see validate_instance).
FOREIGN_KEYS = ("ward", "field", "created_by", "coordinator")
# Columns save() computes in pre_save that bulk_update would leave as they were.
PRE_SAVE_FIELDS = ("updated_at", "search_text")


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
        # Rows are checked one by one but written in batches (bulk_create / bulk_update and
        # their history rows in bulk), so a write costs a fixed number of queries per batch,
        # not ten per row: 1,600 rows took 4x their check to write (issue #15).
        use_bulk = True
        batch_size = BATCH_ROWS
        skip_html_diff = True  # nobody reads the diff; rendering it was a fifth of each row

    def __init__(
        self,
        *,
        user=None,
        weights: Weights | None = None,
        progress: Callable[[int], None] | None = None,
        **kwargs,
    ) -> None:
        """`progress(rows)` is called every PROGRESS_ROWS rows with how many rows were done."""
        super().__init__(**kwargs)
        self.user = user
        self.weights = weights
        self.progress = progress
        self.saved_ids: list[int] = []  # the issues written, once their batch is saved
        self._stored: dict[str, Issue] = {}
        self._before: dict[int, Issue] = {}  # each updated issue as stored, by pk
        self._keys_seen: set[str] = set()
        # Issue pk → its status before this import's row moved it (announced once saved).
        self.status_moves: dict[int, str] = {}

    def before_import(self, dataset, **kwargs) -> None:
        for field in self.fields.values():
            if hasattr(field.widget, "_lookup"):
                field.widget._lookup = None  # wards and fields are read afresh for each file
        # The file's stored issues in a query per batch, not one per row; with their ward and
        # field, which the row's comparison with what is stored reads.
        keys = sorted({reference_key(_text(ref)) for ref in dataset["ref"]} - {""})
        issues = Issue.objects.select_related("ward", "field")
        self._stored = {
            issue.ref_key: issue
            for batch in itertools.batched(keys, BATCH_ROWS)
            for issue in issues.filter(ref_key__in=batch)
        }
        self._before = {}
        self._keys_seen = set()
        self.saved_ids = []

    def get_instance(self, instance_loader, row):
        # The raw text, not the field's clean(): a ref over its length must be refused by
        # import_instance, which names the column, not raised here without one.
        ref = _text(row.get("ref"))
        if not ref:
            return None
        return self._stored.get(reference_key(ref))

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        number = kwargs.get("row_number", 0)
        if self.progress is not None and number % PROGRESS_ROWS == 0:
            self.progress(number)
        return result

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
            self._before[instance.pk] = stored

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        # A repeated 整理番号 is refused as a whole row (issues.services._ref_refusals) and the
        # file rolls back; written too, it would make a second issue of the same key in the
        # batch, whose unique-key failure would hide the message that names the row.
        key = reference_key(_text(row.get("ref")))
        if key and key in self._keys_seen:
            return True
        self._keys_seen.add(key)
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own checks, without the ones that cost a query per row and can only
        pass here: a ward, field or person set on the row was read from the database in this
        transaction (the widgets' lookups, the importer, the stored issue), and the 整理番号
        either matched the stored issue this row updates or is new (repeats in the file are
        refused by issues.services._ref_refusals)."""
        errors = dict(import_validation_errors or {})
        loaded = [name for name in FOREIGN_KEYS if getattr(instance, f"{name}_id") is not None]
        try:
            instance.full_clean(exclude=[*errors, *loaded], validate_unique=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.create_instances = self.create_instances, []
        self._bulk_save(
            instances, update=False, dry_run=dry_run, raise_errors=raise_errors, result=result
        )

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.update_instances = self.update_instances, []
        self._bulk_save(
            instances, update=True, dry_run=dry_run, raise_errors=raise_errors, result=result
        )

    def _bulk_save(
        self, instances: list[Issue], *, update: bool, dry_run: bool, raise_errors, result
    ) -> None:
        """One batch written with its history rows (the author and reason history_stamp set on
        each, as a save records them); the check writes too, inside its rolled-back
        transaction, so a database refusal shows in the check as in the import."""
        if not instances:
            return
        try:
            if update:
                # What save() computes and bulk_update does not: updated_at, search_text.
                computed = [f for f in Issue._meta.concrete_fields if f.name in PRE_SAVE_FIELDS]
                for instance in instances:
                    for field in computed:
                        field.pre_save(instance, False)
                # Only the columns some row changed, in batches of UPDATE_BATCH_ROWS: Django's
                # bulk_update writes a CASE over the batch for each column, whose cost grows
                # with batch x columns per row (all 25 columns over 500 rows: 60 s for 500).
                Issue.objects.bulk_update(
                    instances, self._changed_fields(instances), batch_size=UPDATE_BATCH_ROWS
                )
            else:
                Issue.objects.bulk_create(instances)
            Issue.history.bulk_history_create(instances, update=update)  # type: ignore[attr-defined]
        except Exception as exc:  # import-export reports it as the file's error (base_errors)
            self.handle_import_error(result, exc, raise_errors)
            return
        self.saved_ids.extend(instance.pk for instance in instances)
        if not dry_run:  # a check's writes are rolled back: it announces nothing
            self._announce_status_moves(instances)

    def _announce_status_moves(self, instances: list[Issue]) -> None:
        """Each saved row that moved its issue's status says so, as the workflow screens do."""
        for instance in instances:
            previous = self.status_moves.pop(instance.pk, None)
            if previous is not None:
                issue_status_changed.send(
                    sender=Issue,
                    issue=instance,
                    previous=previous,
                    status=instance.status,
                    changed_by=self.user,
                )

    def _changed_fields(self, instances: list[Issue]) -> list[str]:
        """The model fields whose value differs from the stored issue's in any of `instances`."""
        return [
            field.name
            for field in Issue._meta.concrete_fields
            if not field.primary_key
            and any(
                getattr(instance, field.attname)
                != getattr(self._before[instance.pk], field.attname)
                for instance in instances
            )
        ]

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
            previous = self._before[instance.pk].status
            if previous != instance.status:
                instance.status_changed_at = now
                self.status_moves[instance.pk] = previous
            instance.version += 1
        history_stamp(instance, self.user, gettext_lazy("ファイルからの取り込み"))


_export_fields: list[ie_fields.Field] = []


def issue_row(issue: Issue) -> list[Any]:
    """One export row in COLUMNS order; relies on ward and field being selected."""
    if not _export_fields:
        by_column = {f.column_name: f for f in IssueResource().fields.values()}
        _export_fields.extend(by_column[column] for column in COLUMNS)
    return [field.export(issue) for field in _export_fields]
