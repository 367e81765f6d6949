"""Measurements of a project's indicators: one set of rules for the form, the file and the feed.

Every measurement — typed on the project page, uploaded as CSV/XLSX, or posted by a device —
is checked by measurement_validate: inside the project's period, not in the future, a number
where the indicator counts (never negative unless the indicator allows it), and a note that
fits its column with no formula and no control character.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.models import Measurement, MeasurementSource, ProjectIndicator
from matching.models import Project
from portal.cleantext import control_character_find
from portal.identifiers import indicator_key
from portal.models import User
from portal.tabular import (
    ImportOutcome,
    Refusal,
    Sheet,
    TabularError,
    cell_is_formula,
    cell_refusals,
    refusals_merged,
    refusals_worded,
    tabular_read,
)
from portal.xlsx import date_plain


def value_parse(indicator: ProjectIndicator, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(_("値は数値で入力してください。"), code="value")
    try:
        number = Decimal(unicodedata.normalize("NFKC", str(value)).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(_("値は数値で入力してください。"), code="value") from exc
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError(_("値が大きすぎるか、数値ではありません。"), code="value")
    if number != number.quantize(Decimal("0.01")):
        # Stored with 2 decimals: 0.004 would become 0.00, a value nobody sent.
        raise ValidationError(
            _("値は小数第2位までにしてください（%(value)s）。") % {"value": str(value).strip()},
            code="value",
        )
    return number.quantize(Decimal("0.01"))


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return date_plain(value)
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError(
            _("日付は YYYY-MM-DD の形式で入力してください。"), code="date"
        ) from exc


def _measurement_text(text: str) -> str:
    """A qualitative note as stored: within its column, no formula, no control character."""
    text = (text or "").strip()
    limit = Measurement._meta.get_field("text").max_length or 3000
    if len(text) > limit:
        raise ValidationError(
            _("定性評価は%(limit)s文字以内にしてください（%(n)s文字あります）。")
            % {"limit": f"{limit:,}", "n": f"{len(text):,}"},
            code="text",
        )
    if cell_is_formula(text):
        raise ValidationError(
            _("数式として実行されうる値は登録できません（%(value)s）。") % {"value": text[:30]},
            code="text",
        )
    if control_character_find(text):
        raise ValidationError(_("定性評価に入力できない制御文字が含まれています。"), code="text")
    return text


def measurement_validate(
    *, project: Project, indicator: ProjectIndicator, measured_on: Any, value: Any, text: str = ""
) -> tuple[datetime.date, Decimal | None, str]:
    """Checks a measurement without storing it; returns the cleaned (date, value, text)."""
    if indicator.project_id != project.pk:
        raise ValidationError(_("この指標はこの事業で使われていません。"))
    day = _parse_date(measured_on)
    if day < project.start_date or (project.end_date and day > project.end_date):
        raise ValidationError(
            _("測定日が事業期間（%(start)s〜%(end)s）の外です。")
            % {"start": project.start_date, "end": project.end_date or _("継続中")},
            code="date",
        )
    if day > timezone.localdate():
        raise ValidationError(_("未来の日付の測定値は登録できません。"), code="date")
    number = value_parse(indicator, value)
    if number is not None and number < 0 and not indicator.allows_negative:
        raise ValidationError(
            _("指標「%(name)s」は負の値を取りません（%(value)s）。")
            % {"name": indicator.name, "value": number},
            code="value",
        )
    text = _measurement_text(text)
    if indicator.kind == "quantitative" and number is None:
        raise ValidationError(_("定量指標には数値を入力してください。"), code="value")
    if indicator.kind == "qualitative" and not text and number is None:
        # Named on the 定性評価 column, so a refused note is not refused again for being empty.
        raise ValidationError(_("定性指標には評価の内容を入力してください。"), code="text")
    return day, number, text


def measurement_record(
    *,
    project: Project,
    indicator: ProjectIndicator,
    measured_on: Any,
    value: Any = None,
    text: str = "",
    source: str = MeasurementSource.MANUAL,
    recorded_by: User | None = None,
) -> Measurement:
    day, number, text = measurement_validate(
        project=project, indicator=indicator, measured_on=measured_on, value=value, text=text
    )
    return Measurement.objects.create(
        indicator=indicator,
        measured_on=day,
        value=number,
        text=text,
        source=source,
        recorded_by=recorded_by,
    )


@dataclass
class BatchResult:
    created: list[Measurement]
    errors: list[str]
    # Rows identical to a measurement already stored from the same source (a resent batch).
    duplicates: int = 0


def measurements_record_batch(
    *,
    project: Project,
    rows: list[dict[str, Any]],
    source: str,
    recorded_by: User | None = None,
    first_row: int = 2,
    skip_stored: bool = False,
    lines: Sequence[int] | None = None,
    label: Callable[[str], str] | None = None,
    refused: Sequence[Refusal] = (),
) -> BatchResult:
    """All-or-nothing: each row {indicator, date, value, text}; `indicator` is an id or a name,
    compared as portal.identifiers.indicator_key (「健康ﾎﾟｲﾝﾄ参加者数」 and 「２」 find their
    indicator).

    Rows are numbered from `first_row`, or by `lines` (the row numbers the person sees in a
    file); with `label` (canonical column → the file's header) each message names the column.
    Returns the created rows, or (nothing stored) a message per bad row. With `skip_stored`,
    a row identical to one stored from the same source is skipped and counted in `duplicates`.
    `refused` are cells the file reader already refused (portal.tabular.cell_refusals): every
    row is still checked, and a refused cell is not refused again for what followed from it.
    """
    indicators = list(ProjectIndicator.objects.filter(project=project))
    by_key = {indicator_key(i.pk): i for i in indicators}
    by_key.update({indicator_key(i.name): i for i in indicators if indicator_key(i.name)})
    errors: list[Refusal] = []
    cleaned = []

    def column(name: str) -> str:
        return label(name) if label else ""

    numbers = lines if lines is not None else range(first_row, first_row + len(rows))
    for number, row in zip(numbers, rows, strict=True):
        key = str(row.get("indicator", "")).strip()
        indicator = by_key.get(indicator_key(key))
        if indicator is None:
            errors.append(
                (
                    number,
                    column("indicator"),
                    _("指標「%(key)s」はこの事業にありません。") % {"key": key},
                )
            )
            continue
        try:
            cleaned.append(
                (
                    indicator,
                    *measurement_validate(
                        project=project,
                        indicator=indicator,
                        measured_on=row.get("date", ""),
                        value=row.get("value"),
                        text=str(row.get("text") or ""),
                    ),
                )
            )
        except ValidationError as exc:
            codes = {str(error.code) for error in exc.error_list}
            name = next(iter(codes)) if len(codes) == 1 else ""
            errors.append((number, column(name) if name in row else "", " ".join(exc.messages)))
    messages = refusals_worded(refusals_merged(refused, errors))
    if not rows:
        messages.append(_("測定値の行がありません。"))
    if messages:
        return BatchResult(created=[], errors=messages)
    before = len(cleaned)
    if skip_stored:
        cleaned = _not_yet_stored(cleaned, source=source)
    with transaction.atomic():
        created = Measurement.objects.bulk_create(
            [
                Measurement(
                    indicator=indicator,
                    measured_on=day,
                    value=value,
                    text=text,
                    source=source,
                    recorded_by=recorded_by,
                )
                for indicator, day, value, text in cleaned
            ]
        )
    return BatchResult(created=created, errors=[], duplicates=before - len(cleaned))


def _not_yet_stored(cleaned: list[tuple], *, source: str) -> list[tuple]:
    """The rows not already stored with the same indicator, day, value, text and source."""
    stored = set(
        Measurement.objects.filter(
            source=source,
            indicator__in={row[0] for row in cleaned},
            measured_on__in={row[1] for row in cleaned},
        ).values_list("indicator_id", "measured_on", "value", "text")
    )
    fresh = []
    for indicator, day, value, text in cleaned:
        key = (indicator.pk, day, value, text)
        if key not in stored:
            stored.add(key)  # the same row twice in one batch is stored once too
            fresh.append((indicator, day, value, text))
    return fresh


# The measurement file's headers as people write them → the columns read.
MEASUREMENT_ALIASES = {
    "指標": "indicator",
    "指標名": "indicator",
    "測定日": "date",
    "日付": "date",
    "値": "value",
    "定性評価": "text",
    "内容": "text",
}


def measurements_sheet(data: bytes) -> Sheet:
    """An uploaded measurements file read with its columns (the screen and the job alike);
    TabularError when it cannot be read or is over an import limit (portal.tabular)."""
    return tabular_read(data=data, aliases=MEASUREMENT_ALIASES, required=["indicator", "date"])


def measurements_import(
    *, project: Project, dataset: Sheet, recorded_by: User | None = None
) -> BatchResult:
    """A read measurements file's rows stored for `project`, all or nothing.

    A file sent again (or a second upload with the same rows) adds nothing: identical rows are
    skipped and counted, as for the device feed."""
    return measurements_record_batch(
        project=project,
        rows=list(dataset.dict),
        source=MeasurementSource.CSV,
        recorded_by=recorded_by,
        skip_stored=True,
        lines=dataset.row_numbers,
        label=dataset.label,
        refused=cell_refusals(dataset),
    )


def measurements_import_csv(
    *, project: Project, data: bytes, recorded_by: User | None = None
) -> BatchResult:
    """CSV/XLSX with columns indicator (指標), date (測定日), value (値), text (定性評価).

    Read by portal.tabular like every import: messages give the row number and header the
    person sees in the file (「5行目「値」: …」)."""
    try:
        dataset = measurements_sheet(data)
    except TabularError as exc:
        return BatchResult(created=[], errors=[str(exc)])
    return measurements_import(project=project, dataset=dataset, recorded_by=recorded_by)


@dataclass
class MeasurementsImported(ImportOutcome):
    """A measurements import as an import job records it (portal.imports): how many rows were
    stored, and how many were skipped as already stored."""

    created: int = 0
    skipped: int = 0


def measurements_import_outcome(result: BatchResult) -> MeasurementsImported:
    return MeasurementsImported(
        errors=list(result.errors), created=len(result.created), skipped=result.duplicates
    )
