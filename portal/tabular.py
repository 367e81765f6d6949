"""Reading and writing the spreadsheets ward staff exchange (CSV in any Japanese encoding, XLSX).

Shared by the issue and resource imports/exports so both behave the same:
- CSV in UTF-8, UTF-8 with BOM or CP932/Shift_JIS (what Excel in Japan writes), or XLSX;
- Japanese or English headers, mapped to canonical column names;
- cells a spreadsheet would run as a formula are refused on import and neutralised on export
  (prefixed with a single quote, which the import strips again, so an export re-imports unchanged);
- a value is the value the person saw in Excel (portal.xlsx), or its row is refused with the row
  number the person sees and the column header the file used;
- a cell holding a control character (other than tab and line breaks) is refused, as forms do;
- bounded: MAX_ROWS data rows, MAX_CELL_CHARS per cell, the workbook's unpacked size, and
  ERRORS_SHOWN messages on a page (the rest are counted).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.cleantext import control_character_find, control_characters_remove
from portal.xlsx import Problem, SheetRows, WorkbookError, too_many_rows, xlsx_read

XLSX_MAGIC = b"PK\x03\x04"
CSV_ENCODINGS = ("utf-8-sig", "cp932")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# One import is checked and written in one request (or command run) and one transaction; 50,000
# rows is well above a ward's whole register and keeps the check within about a minute.
MAX_ROWS = 50_000
# Excel's own limit for a cell: nothing longer can have been seen in Excel.
MAX_CELL_CHARS = 32_767
ERRORS_SHOWN = 200
_LEADING_NUMBER = re.compile(r"\d+")


class TabularError(ValueError):
    """A file-level problem (encoding, headers, size) with a message for the person importing."""


def header_normalize(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "_")


# A note in brackets after a header's name: 緊急度（1〜5）, 予算上限(円), 区【必須】.
_HEADER_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕|<[^>]*>|〈[^〉]*〉")
_HEADER_SPACES = re.compile(r"[\s_]+")


def header_fold(value: object) -> str:
    """A header as loosely compared: NFKC, lower case, notes in brackets and spaces removed."""
    text = unicodedata.normalize("NFKC", str(value or "")).lower()
    return _HEADER_SPACES.sub("", _HEADER_NOTES.sub("", text))


def cell_neutralize(value: object) -> object:
    """What every export writes in a cell: clean text that no spreadsheet evaluates.

    Control characters go first (a spreadsheet cannot hold them, and removing one may bring a
    formula trigger to the front); text a spreadsheet would evaluate then gets a leading quote.
    """
    if not isinstance(value, str):
        return value
    value = control_characters_remove(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def dataset_neutralize(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of ``dataset`` with every cell passed through cell_neutralize."""
    return tablib.Dataset(
        *[[cell_neutralize(cell) for cell in row] for row in dataset], headers=dataset.headers
    )


def cell_restore(value: object) -> object:
    """The inverse of cell_neutralize, applied on import."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


# A plain number a spreadsheet shows as typed: -1, +3.5, -1,200.
PLAIN_NUMBER = re.compile(r"[+-]\d[\d,]*(\.\d+)?")


def cell_is_formula(value: object) -> bool:
    """True for text a spreadsheet would run (OWASP "CSV injection"): a leading = or @, or a
    leading + or - unless the text is a plain number or a bullet ("- " then a non-ASCII
    character, as in 「- 見守り訪問」). ``-2+3`` shows as 1 and ``-2+3+cmd|' /C calc'!A0`` or
    ``+1+HYPERLINK(…)`` run, so every other leading sign counts as a formula."""
    if not isinstance(value, str) or not value:
        return False
    if value[0] in "=@":
        return True
    if value[0] in "+-" and len(value) > 1:
        if PLAIN_NUMBER.fullmatch(value):
            return False
        rest = value[1:].lstrip(" ")
        return not (value[1] == " " and rest and not rest[0].isascii())
    return False


def content_problem(data: bytes) -> str | None:
    """Why these bytes are no CSV or .xlsx, judged by content (None when they may be one).

    The old binary .xls, a PDF, a renamed Word file or zip, an image or UTF-16 text are refused
    with what to do instead; the CSV's encoding is checked when it is decoded (csv_decode).
    """
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _("古いExcel形式（.xls）は読み込めません。.xlsx またはCSVで保存し直してください。")
    if data.startswith(b"%PDF"):
        return _("PDFは読み込めません。CSVまたはExcel（.xlsx）ファイルを選んでください。")
    if data.startswith(XLSX_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return _("Excelファイル（.xlsx）を読み込めませんでした。")
        if {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            return None
    elif b"\x00" not in data:
        return None
    return _("CSVまたはExcel（.xlsx）ファイルを選んでください。")


def csv_decode(data: bytes) -> str:
    """The text of a CSV in one of the encodings Japanese spreadsheets write."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TabularError(
        _(
            "文字コードを判別できませんでした。UTF-8 または Shift_JIS（CP932）のCSVで保存してください。"
        )
    )


def _csv_rows(text: str, *, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) for each CSV record that has a value, streaming.

    The number counts every record, blank ones included, because that is the row number Excel
    shows when it opens the file (a quoted cell with line breaks is still one row there).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    seen = 0
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The csv module refuses a field over 131,072 characters; everything below that is
            # checked against MAX_CELL_CHARS with the column's name (see tabular_read).
            raise TabularError(
                _("%(row)d行目: セルの文字数が多すぎるか、CSVとして読めません（%(err)s）。")
                % {"row": number, "err": exc}
            ) from exc
        if not any(cell.strip() for cell in record):
            continue
        seen += 1
        if seen > max_rows + 1:  # the header row and max_rows data rows
            raise TabularError(too_many_rows(max_rows))
        yield number, list(record)


def _workbook_rows(data: bytes, *, max_rows: int) -> SheetRows:
    try:
        return xlsx_read(data, max_rows=max_rows)
    except WorkbookError as exc:
        raise TabularError(str(exc)) from exc


class Sheet(tablib.Dataset):
    """A Dataset that remembers where each value came from, for messages a person can follow.

    `row_numbers[i]` is the row number the person sees for data row i (Excel's row number, the
    CSV record number), `labels` maps a canonical column to the header the file used (整理番号,
    not ref), and `problems` are cells that could not be read as shown, by row and column.
    """

    def __init__(self, *, headers: list[str], labels: dict[str, str]) -> None:
        super().__init__(headers=headers)
        self.labels = labels
        self.row_numbers: list[int] = []
        self.problems: list[tuple[int, str, str]] = []  # (row number, column label, message)
        self.neutralised_cells: set[tuple[int, int]] = set()
        self.ignored_columns: list[str] = []  # headers the import does not know, as written
        self.note = ""  # said before any error (which sheet of several was read)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def row_number(self, index: int) -> int:
        """The row number the person sees for data row `index` (0-based)."""
        return self.row_numbers[index]


def tabular_read(
    *,
    data: bytes,
    aliases: Mapping[str, str],
    required: Sequence[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> Sheet:
    """Parses an uploaded CSV/XLSX into a Sheet whose headers are canonical column names.

    `aliases` maps every accepted header (normalised: NFKC, lower case) to its canonical name;
    canonical names map to themselves automatically. A header with a note in brackets maps as
    its name does; one that contains a known name otherwise is refused; other unknown columns
    are kept under their own header and listed in `Sheet.ignored_columns`.
    The first row with a value is the header row and sets the width; rows without any value are
    skipped (but still counted in the row numbers).
    """
    if not data:
        raise TabularError(_("ファイルが空です。"))
    if len(data) > max_bytes:
        raise TabularError(
            _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": max_bytes // (1024 * 1024)}
        )
    problem = content_problem(data)
    if problem:
        raise TabularError(problem)
    hidden_rows: set[int] = set()
    hidden_columns: set[int] = set()
    outside_header: list[tuple[int, int, Any]] = []
    note = ""
    if data.startswith(XLSX_MAGIC):
        workbook = _workbook_rows(data, max_rows=max_rows)
        rows: Iterable[tuple[int, list[Any]]] = workbook.rows
        outside_header = workbook.outside_header
        hidden_rows, hidden_columns = workbook.hidden_rows, workbook.hidden_columns
        if workbook.other_sheets_with_data:
            note = _(
                "このファイルにはデータのあるシートが複数あります。読み込んだのは左端のシート「%(sheet)s」だけです（ほかのシート: %(others)s）。"
            ) % {"sheet": workbook.title, "others": "、".join(workbook.other_sheets_with_data)}
    else:
        rows = _csv_rows(csv_decode(data), max_rows=max_rows)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        raise TabularError(_("見出し行がありません。"))
    header_number, header_cells = first
    sheet = _sheet_start(header_number, header_cells, aliases, required, hidden_columns)
    sheet.note = note
    width = len(sheet.headers)
    for number, row in iterator:
        cells = []
        for column, cell in enumerate((list(row) + [""] * width)[:width]):
            cells.append(_cell_read(sheet, len(sheet.row_numbers), number, column, cell))
        outside = [
            (number, column, cell)
            for column, cell in enumerate(row, start=1)
            # A cell that could not be read under a blank header is refused by _cell_read.
            if column > width or not (sheet.headers[column - 1] or isinstance(cell, Problem))
        ]
        _unheaded_values_refuse(sheet, outside)
        if number in hidden_rows:
            sheet.problems.append((number, "", hidden_row_message()))
        sheet.row_numbers.append(number)
        sheet.append(cells)
    _unheaded_values_refuse(sheet, outside_header)
    return sheet


def _unheaded_values_refuse(sheet: Sheet, cells: Iterable[tuple[int, int, object]]) -> None:
    """A problem for each value in a column without a header: (row number, 1-based column,
    value). Nothing would import it, and dropping a value the person sees is what the import
    must never do (issue #15, fifth probe: 「余分な値」 right of the last header vanished)."""
    from openpyxl.utils import get_column_letter  # the column's name as Excel shows it

    for number, column, value in cells:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        shown = value.message if isinstance(value, Problem) else str(value)
        sheet.problems.append(
            (
                number,
                "",
                _(
                    "%(n)d列目（%(letter)s列）の値「%(value)s」には見出しがないため取り込めません。見出しを付けるか、値を消してください。"
                )
                % {"n": column, "letter": get_column_letter(column), "value": shown[:30]},
            )
        )


def hidden_row_message() -> str:
    # A hidden row (hand-hidden or filtered out) holds data the person did not see when they
    # checked the sheet; importing or skipping it silently would both surprise someone.
    return _("非表示の行です。表示して確かめるか、不要なら削除してから保存し直してください。")


def _sheet_start(
    number: int,
    cells: Sequence[object],
    aliases: Mapping[str, str],
    required: Sequence[str],
    hidden_columns: set[int],
) -> Sheet:
    lookup = {header_normalize(key): value for key, value in aliases.items()}
    lookup.update({header_normalize(name): name for name in set(aliases.values())})
    texts = []
    for cell in cells:
        if isinstance(cell, Problem):
            raise TabularError(
                _("%(row)d行目（見出し行）: %(msg)s") % {"row": number, "msg": cell.message}
            )
        texts.append(str(cell).strip())
    while texts and not texts[-1]:
        texts.pop()
    headers, ignored, refused = _headers_match(texts, lookup, aliases)
    known = set(lookup.values())
    wanted = known | set(required)
    if wanted and not wanted.intersection(headers):
        # No column of the first row is one the import knows: a title row (「地域課題一覧
        # （令和8年度）」 merged over the columns) or a blank row above the header, not a
        # header to rename (issue #15, fifth probe).
        expected = "」「".join(_header_name(name, aliases) for name in required)
        raise TabularError(
            _(
                "1行目が見出し行になっていません（1行目: 「%(first)s」）。見出し（「%(expected)s」など）は1行目に置き、その上の表題などの行は削除してください。"
            )
            % {
                "first": "」「".join(dict.fromkeys(text for text in texts if text)),
                "expected": expected,
            }
        )
    if refused:
        raise TabularError(" ".join(refused))
    duplicates = sorted({h for h in headers if headers.count(h) > 1 and h})
    if duplicates:
        # Named as the file names them (「課題名」, not the internal key "title").
        named = [
            "／".join(dict.fromkeys(t for t, h in zip(texts, headers, strict=True) if h == d))
            for d in duplicates
        ]
        raise TabularError(_("見出しが重複しています: %(cols)s") % {"cols": "、".join(named)})
    missing = [name for name in required if name not in headers]
    if missing:
        raise TabularError(
            _("必須の列がありません: %(cols)s（見出し行を確認してください）")
            % {"cols": "、".join(missing)}
        )
    hidden = [texts[i] for i in sorted(hidden_columns) if i < len(headers) and headers[i] in known]
    if hidden:
        raise TabularError(
            _("非表示の列があります: %(cols)s。表示して確かめてから保存し直してください。")
            % {"cols": "、".join(hidden)}
        )
    labels = {header: text for header, text in zip(headers, texts, strict=True) if header}
    sheet = Sheet(headers=headers, labels=labels)
    sheet.ignored_columns = ignored
    return sheet


def _headers_match(
    texts: list[str], lookup: Mapping[str, str], aliases: Mapping[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """(canonical header per column, the headers not imported, refusals) for the file's header
    texts.

    A header that is no known name exactly is folded (header_fold): 「緊急度（1〜5）」 is 緊急度.
    One that then names one known column is that column; one that still contains a known
    column's name (「ＳＤＧｓ番号」) is refused with the name to use, because silently dropping
    it stored a default instead of what the person wrote. Anything else is not imported, and
    the preview lists it as such.
    """
    folded: dict[str, set[str]] = {}
    for key, canonical in lookup.items():
        folded.setdefault(header_fold(key), set()).add(canonical)
    headers: list[str] = []
    ignored: list[str] = []
    refused: list[str] = []
    for text in texts:
        exact = lookup.get(header_normalize(text))
        fold = header_fold(text)
        matches = folded.get(fold, set())
        if exact or not text:
            headers.append(exact or "")
        elif len(matches) == 1:
            headers.append(next(iter(matches)))
        else:
            meant = matches or {c for key, cs in folded.items() if key and key in fold for c in cs}
            if meant:
                expected = "」「".join(sorted(_header_name(c, aliases) for c in meant))
                refused.append(
                    _(
                        "見出し「%(header)s」は読み取れません（「%(expected)s」の列なら、見出しを「%(expected)s」にしてください）。"
                    )
                    % {"header": text, "expected": expected}
                )
            else:
                ignored.append(text)
            headers.append(text)
    return headers, ignored, refused


def _header_name(canonical: str, aliases: Mapping[str, str]) -> str:
    """The header to suggest for a canonical column: its first Japanese alias, if any."""
    names = [key for key, value in aliases.items() if value == canonical]
    return next((key for key in names if not key.isascii()), names[0] if names else canonical)


def _cell_read(sheet: Sheet, index: int, number: int, column: int, cell: object) -> object:
    """One cell as stored in the Sheet; a cell that cannot be read becomes a problem and ""."""
    label = sheet.label(sheet.headers[column])
    if isinstance(cell, Problem):
        sheet.problems.append((number, label, cell.message))
        return ""
    if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
        sheet.problems.append((number, label, cell_too_long_message(len(cell))))
        return ""
    control = control_character_find(cell) if isinstance(cell, str) else None
    if control:
        # The forms refuse these (portal.formtools); a file must not store what a form cannot.
        sheet.problems.append((number, label, control_character_message(control)))
        return ""
    # Cells that arrive neutralised (a quote before =, +, -, @) were written by an export: they
    # are data, not formulas, and re-import unchanged. Only raw formula text is refused.
    stripped = cell.strip() if isinstance(cell, str) else cell
    restored = cell_restore(stripped)
    if restored is not stripped:
        sheet.neutralised_cells.add((index, column))
    return restored.strip() if isinstance(restored, str) else restored


def control_character_message(code: str) -> str:
    return _(
        "入力できない制御文字（%(code)s）が含まれています。Excelでその部分を入力し直してください。"
    ) % {"code": code}


def cell_too_long_message(length: int) -> str:
    return _("1つのセルは%(n)s文字までです（%(len)s文字あります）。") % {
        "n": f"{MAX_CELL_CHARS:,}",
        "len": f"{length:,}",
    }


def row_message(number: int, label: str, message: str) -> str:
    """The one shape of a row-level message: row number, then the column the file named."""
    if not label:
        return _("%(row)d行目: %(msg)s") % {"row": number, "msg": message}
    return _("%(row)d行目「%(col)s」: %(msg)s") % {"row": number, "col": label, "msg": message}


# A refusal before it is worded: (row number the person sees, column header as in the file or
# "" for the whole row, message).
Refusal = tuple[int, str, str]


def cell_refusals(dataset: Sheet) -> list[Refusal]:
    """Cells that cannot be imported as the person saw them: formulas a spreadsheet would run,
    error values, numbers in an unreadable format, hidden rows, cells over the length limit."""
    refusals = list(dataset.problems)
    for index, row in enumerate(dataset):
        for column, (header, value) in enumerate(zip(dataset.headers, row, strict=True)):
            if (index, column) not in dataset.neutralised_cells and cell_is_formula(value):
                refusals.append(
                    (
                        dataset.row_number(index),
                        dataset.label(header),
                        _("数式として実行されうる値は登録できません（%(value)s）")
                        % {"value": str(value)[:30]},
                    )
                )
    return refusals


def cell_errors(dataset: Sheet) -> list[str]:
    """cell_refusals as messages in row order."""
    return refusals_worded(cell_refusals(dataset))


def refusals_merged(
    first: Sequence[Refusal], then: Iterable[Refusal], *, whole_rows: Iterable[int] = ()
) -> list[Refusal]:
    """`first`, and those of `then` that add something: a cell already refused, or any cell of a
    row refused as a whole (hidden, or in `whole_rows`: its 整理番号 empty or repeated), is not
    refused again for what followed from it (the empty value a formula left, an update of the
    duplicate's twin).

    Used so that one check does not hide the others: every row of a file is checked, and each
    refused row and cell is named once (issue #15).
    """
    cells = {(number, label) for number, label, _message in first}
    rows = {number for number, label, _message in first if not label} | set(whole_rows)
    return list(first) + [
        (number, label, message)
        for number, label, message in then
        if number not in rows and (number, label) not in cells
    ]


def refusals_worded(refusals: Iterable[Refusal]) -> list[str]:
    """Each refusal as row_message words it, in row order."""
    return errors_by_row(
        [row_message(number, label, message) for number, label, message in refusals]
    )


def errors_by_row(errors: list[str]) -> list[str]:
    """Messages in row order (stable; a message without a row number comes first)."""
    return sorted(
        errors, key=lambda text: int(m.group()) if (m := _LEADING_NUMBER.match(text)) else 0
    )


def errors_for_display(errors: Sequence[str], note: str = "") -> list[str]:
    """The first ERRORS_SHOWN messages and a count of the rest (a page or stderr stays short)."""
    shown = [note] if note and errors else []
    shown.extend(errors[:ERRORS_SHOWN])
    rest = len(errors) - ERRORS_SHOWN
    if rest > 0:
        shown.append(
            ngettext(
                "ほか %(n)s 件の誤りがあります（最初の %(shown)d 件だけ表示しています）。",
                "ほか %(n)s 件の誤りがあります（最初の %(shown)d 件だけ表示しています）。",
                rest,
            )
            % {"n": number_format(rest, force_grouping=True), "shown": ERRORS_SHOWN}
        )
    return shown


def xlsx_bytes(*, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An .xlsx of ``rows``, every cell neutralised like the CSV's."""
    dataset = tablib.Dataset(*[list(row) for row in rows], headers=list(headers))
    return dataset_neutralize(dataset).export("xlsx")


def csv_bytes(*, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with BOM (so Excel opens Japanese text correctly), formulas neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if cell is None else cell_neutralize(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class ImportOutcome:
    """What every import report shares: its errors, and what to show of them."""

    errors: list[str] = field(default_factory=list)
    note: str = ""  # said first when there are errors (which sheet of several was read)
    ignored_columns: list[str] = field(default_factory=list)  # headers not imported, as written

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors_shown(self) -> list[str]:
        return errors_for_display(self.errors, self.note)
