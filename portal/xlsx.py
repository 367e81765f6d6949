"""Reading one worksheet of an .xlsx as the person saw it in Excel, streaming and bounded.

openpyxl's read-only mode is the only one that streams, but as used before it hid merged
ranges and padded every row to the sheet's declared <dimension> (a 1.7 KB file declaring
A1:XFD1048576 grew to gigabytes). So the rows come straight from openpyxl's worksheet parser:
only the rows the file really has, cut to the header's width, with the cell's number format,
the row's and column's hidden flags and the merged ranges that the read-only sheet drops.

What the person saw is decided cell by cell (see `_shown`): a value that cannot be shown
faithfully comes back as a `Problem`, and the caller refuses that row naming row and column.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.numfmt import (
    JA_BUILTIN_FORMATS,
    JA_TIME_FORMAT_IDS,
    date_shown,
    number_shown,
    text_shown,
)

# A workbook is a zip; its declared uncompressed sizes bound what parsing it can cost (zipfile
# never inflates an entry past its declared size, so a lying header cannot get round this).
# A 50,000-row sheet of 20 columns uncompresses to about 50 MB.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024


class WorkbookError(ValueError):
    """The workbook as a whole cannot be read (the caller turns it into a TabularError)."""


@dataclass(frozen=True)
class Problem:
    """A cell whose shown value cannot be read; `message` says why and what to do."""

    message: str


class ShownDate(dt.date):
    """A date cell: a date to a date column, and to a text column the text Excel showed
    (2027年4月15日, 令和9年4月15日), or the ISO date when its format cannot be rendered."""

    shown: str | None = None

    @classmethod
    def of(cls, day: dt.date, shown: str | None) -> ShownDate:
        made = cls(day.year, day.month, day.day)
        made.shown = shown
        return made

    def __str__(self) -> str:
        return self.shown or self.isoformat()

    def plain(self) -> dt.date:
        """The bare date, for a model field (Django writes a date to the database by str())."""
        return dt.date(self.year, self.month, self.day)


def date_plain(value: dt.date) -> dt.date:
    """A date as a model stores it, whether or not it came from a workbook.

    A workbook's date-and-time cell (2026/10/4 23:59) is a naive wall-clock time, the one the
    person saw: its day is the date shown, never shifted to or from UTC.
    """
    if isinstance(value, ShownDate):
        return value.plain()
    if isinstance(value, dt.datetime):
        return dt.date(value.year, value.month, value.day)
    return value


@dataclass
class SheetRows:
    title: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cells)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based, within the header's width
    # Values right of the header's last column: (row number, 1-based column, value as shown).
    outside_header: list[tuple[int, int, Any]] = field(default_factory=list)
    other_sheets_with_data: list[str] = field(default_factory=list)


def xlsx_read(data: bytes, *, max_rows: int) -> SheetRows:
    """The first visible worksheet: its header row and up to `max_rows` data rows."""
    _zip_check(data)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        raise WorkbookError(_("Excelファイル（.xlsx）を読み込めませんでした。")) from exc
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise WorkbookError(_("表示されているシートがありません。"))
        # The left-most visible tab: the sheet a person means by "the list", and one rule that
        # the error message can state when the workbook holds data on other sheets as well.
        sheet = visible[0]
        result = _sheet_read(book, sheet, max_rows=max_rows)
        result.other_sheets_with_data = [
            ws.title for ws in book.worksheets if ws is not sheet and _has_data(book, ws)
        ]
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(_("Excelファイル（.xlsx）を読み込めませんでした。")) from exc
    finally:
        book.close()
    return result


def _zip_check(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise WorkbookError(_("Excelファイル（.xlsx）を読み込めませんでした。")) from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookError(
            _("Excelファイルの中身が大きすぎます（展開後 %(mb)d MB、上限 %(limit)d MB）。")
            % {"mb": total // (1024 * 1024), "limit": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}
        )


def _parsed_rows(book, sheet) -> Iterator[tuple[Any, int, list[dict[str, Any]]]]:
    """(parser, row number, cells) for each <row> the sheet really contains.

    Uses openpyxl's own parser (a private class, pinned by requirements.txt) with formulas
    kept as formulas (data_only=False), so that a formula cell can be told from a value.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=False,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            yield parser, number, cells


def _has_data(book, sheet) -> bool:
    return any(
        cell["value"] not in (None, "")
        for _p, _n, cells in _parsed_rows(book, sheet)
        for cell in cells
    )


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _flag(attributes: dict[str, str] | None, name: str) -> bool:
    return bool(attributes) and str(attributes.get(name, "")).lower() in {"1", "true"}  # type: ignore[union-attr]


def _sheet_read(book, sheet, *, max_rows: int) -> SheetRows:
    result = SheetRows(title=sheet.title)
    formats = _Formats(book, sheet)
    width = 0
    parser = None
    for parser, number, cells in _parsed_rows(book, sheet):
        # Row attributes are kept by the parser for every row; dropping them as we go keeps a
        # sheet of a million formatted empty rows from piling them up.
        attributes = parser.row_dimensions.pop(str(number), None)
        if not width:
            width = max((c["column"] for c in cells if not _is_empty(c["value"])), default=0)
            if not width:
                continue
            result.hidden_columns = _hidden_columns(parser.column_dimensions, width)
        row = [""] * width
        for cell in cells:
            if cell["column"] <= width:
                row[cell["column"] - 1] = formats.shown(cell)
            elif not _is_empty(cell["value"]):
                # Kept for tabular_read to refuse: a value the person sees is never dropped.
                result.outside_header.append((number, cell["column"], formats.shown(cell)))
        if all(_is_empty(value) for value in row):
            continue
        if _row_hidden(attributes, parser):
            result.hidden_rows.add(number)
        result.rows.append((number, row))
        if len(result.rows) > max_rows + 1:  # the header row and max_rows data rows
            raise WorkbookError(too_many_rows(max_rows))
    if parser is not None and parser.merged_cells is not None:
        _merges_fill(result.rows, [m.coord for m in parser.merged_cells.mergeCell], width)
    return result


def too_many_rows(max_rows: int) -> str:
    return _("行数が多すぎます（上限 %(n)s 行）。ファイルを分けて取り込んでください。") % {
        "n": f"{max_rows:,}"
    }


def _zero(attributes: dict[str, str] | None, name: str) -> bool:
    try:
        return bool(attributes) and float(attributes.get(name, "1")) == 0  # type: ignore[union-attr]
    except ValueError:
        return False


def _row_hidden(attributes: dict[str, str] | None, parser) -> bool:
    """Hidden by its flag, by a height of zero (ht="0": no flag, yet nothing shows), or by the
    sheet's zeroHeight default when the row has no height of its own."""
    if _flag(attributes, "hidden") or _zero(attributes, "ht"):
        return True
    sheet_format = getattr(parser, "sheet_format", None)
    return bool(getattr(sheet_format, "zeroHeight", False)) and not (attributes or {}).get("ht")


def _hidden_columns(dimensions: dict[str, dict[str, str]], width: int) -> set[int]:
    """Columns hidden by their flag or by a width of zero (0-based, within `width`)."""
    hidden: set[int] = set()
    for attributes in dimensions.values():
        if _flag(attributes, "hidden") or _zero(attributes, "width"):
            low, high = int(attributes.get("min", 0)), int(attributes.get("max", 0))
            hidden.update(range(max(low, 1) - 1, min(high, width)))
    return hidden


def _merges_fill(rows: list[tuple[int, list[Any]]], ranges: list[str], width: int) -> None:
    """Every cell of a merged range takes the value of its top-left cell.

    A merged 区 over D2:D4 is one 千代田区 spanning three rows on screen: the person saw the
    ward on each of those rows, so that is the value each row gets (reading only the top-left
    cell, as before, silently made rows 3 and 4 ward-independent). A row that has no value of
    its own besides the merge stays out, as an empty row would.
    """
    from openpyxl.utils.cell import range_boundaries

    by_number = dict(rows)
    for coord in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(coord)
        top = by_number.get(min_row)
        if top is None or min_col > width:
            continue
        value = top[min_col - 1]
        for number, row in rows:
            if min_row <= number <= max_row:
                for column in range(min_col, min(max_col, width) + 1):
                    row[column - 1] = value


_NUMBER_UNREADABLE = gettext_noop(
    "表示形式「%(fmt)s」の数値は、表示どおりに読み取れません。表示されている文字を、文字列として入力してください。"
)
_TEXT_UNREADABLE = gettext_noop(
    "表示形式「%(fmt)s」の文字列は、表示どおりに読み取れません。表示されている文字を、表示形式「文字列」で入力してください。"
)


class _Formats:
    """Cell → the value shown, using the cell's number format (cached per style)."""

    def __init__(self, book, sheet) -> None:
        self.book = book
        self.sheet = sheet
        self.cache: dict[int, tuple[int, str]] = {}

    def number_format(self, style_id: int) -> tuple[int, str]:
        """(numFmtId, format code); a Japanese built-in id the file did not define (openpyxl
        moves every defined format to 164 and up) gets its code from JA_BUILTIN_FORMATS."""
        if style_id not in self.cache:
            from openpyxl.cell.read_only import ReadOnlyCell

            styles = self.book._cell_styles
            format_id = styles[style_id].numFmtId if style_id < len(styles) else 0
            code = JA_BUILTIN_FORMATS.get(format_id) or (
                ReadOnlyCell(self.sheet, 1, 1, None, "n", style_id).number_format
            )
            self.cache[style_id] = (format_id, code)
        return self.cache[style_id]

    def shown(self, cell: dict[str, Any]) -> Any:
        value, kind = cell["value"], cell["data_type"]
        if value is None:
            return ""
        if kind == "f":
            # Decision 0005: the cached result a file may carry is whatever the program that
            # last saved it computed (none at all from most generators, a stale one after
            # manual recalculation), so it is not reliably what the person saw.
            return Problem(
                _(
                    "数式のセルは読み込めません（%(f)s）。Excelで「値として貼り付け」をしてから保存し直してください。"
                )
                % {"f": str(value)[:30]}
            )
        if kind == "e":
            return Problem(_("エラー値（%(v)s）のセルは読み込めません。") % {"v": value})
        if kind == "b":
            return "TRUE" if value else "FALSE"  # what Excel shows, in any language
        format_id, number_format = self.number_format(int(cell["style_id"] or 0))
        if kind == "d":
            return _date_shown(value, number_format)
        if kind == "n" and format_id in JA_BUILTIN_FORMATS:
            if format_id in JA_TIME_FORMAT_IDS:
                return Problem(_("時刻・時間の値は読み込めません。文字列として入力してください。"))
            from openpyxl.utils.datetime import from_excel

            return _date_shown(from_excel(value, self.book.epoch), number_format)
        if kind == "n":
            shown, unreadable = number_shown(value, number_format), _NUMBER_UNREADABLE
        else:
            text = value if isinstance(value, str) else str(value)
            shown, unreadable = text_shown(text, number_format), _TEXT_UNREADABLE
        if shown is None:
            return Problem(_(unreadable) % {"fmt": number_format})
        return shown


def _date_shown(value: Any, number_format: str) -> Any:
    """A date serial under a date format is the date shown, never the serial number; under a
    format that shows no date at all (h:mm, [h]:mm:ss) the person saw a time: refused."""
    if isinstance(value, (dt.date, dt.datetime)) and not shows_a_date(number_format):
        value = None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            return value
        value = value.date()
    if isinstance(value, dt.date):
        return ShownDate.of(value, date_shown(value, number_format))
    return Problem(_("時刻・時間の値は読み込めません。文字列として入力してください。"))


_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def shows_a_date(number_format: str) -> bool:
    """Whether a number format shows any part of a date: a year, month, day, era or weekday.

    Excel reads m as minutes next to h or s (h:mm, mm:ss) and as a month elsewhere; quoted
    text, escaped characters and [brackets] show no date. A format with no code at all
    (General, as openpyxl reports some date cells) counts as showing the date.
    """
    codes = _LITERALS.sub("", number_format or "").lower()
    if codes.strip() in ("", "general"):
        return True
    if any(code in codes for code in "ydeg") or "aaa" in codes:
        return True
    return "m" in codes and "h" not in codes and "s" not in codes
