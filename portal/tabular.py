"""Reading and writing the spreadsheets ward staff exchange (CSV in any Japanese encoding, XLSX).

Shared by the issue and resource imports/exports so both behave the same:
- CSV in UTF-8, UTF-8 with BOM or CP932/Shift_JIS (what Excel in Japan writes), or XLSX;
- Japanese or English headers, mapped to canonical column names;
- cells a spreadsheet would run as a formula are refused on import and neutralised on export
  (prefixed with a single quote, which the import strips again, so an export re-imports unchanged).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence

import tablib
from django.utils.translation import gettext as _

from portal.cleantext import control_characters_remove

XLSX_MAGIC = b"PK\x03\x04"
CSV_ENCODINGS = ("utf-8-sig", "cp932")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class TabularError(ValueError):
    """A file-level problem (encoding, headers, size) with a message for the person importing."""


def header_normalize(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "_")


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


def cell_is_formula(value: object) -> bool:
    """True for text a spreadsheet would run: =…, @…, or +/- followed by something not numeric."""
    if not isinstance(value, str) or not value:
        return False
    if value[0] in "=@":
        return True
    if value[0] in "+-" and len(value) > 1:
        rest = value[1:].lstrip()
        return bool(rest) and not (rest[0].isdigit() or value[1] == " ")
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


def _rows_from_xlsx(data: bytes) -> list[list[object]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise TabularError(_("Excelファイル（.xlsx）を読み込めませんでした。")) from exc
    sheet = book.worksheets[0]
    rows = [
        ["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return rows


def tabular_read(
    *,
    data: bytes,
    aliases: Mapping[str, str],
    required: Sequence[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tablib.Dataset:
    """Parses an uploaded CSV/XLSX into a Dataset whose headers are canonical column names.

    `aliases` maps every accepted header (normalised: NFKC, lower case) to its canonical name;
    canonical names map to themselves automatically. Unknown columns are kept as they are.
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
    if data.startswith(XLSX_MAGIC):
        rows: Sequence[Sequence[object]] = _rows_from_xlsx(data)
    else:
        rows = list(csv.reader(io.StringIO(csv_decode(data), newline="")))
    rows = [row for row in rows if any(str(cell).strip() for cell in row)]
    if not rows:
        raise TabularError(_("見出し行がありません。"))
    lookup = {header_normalize(key): value for key, value in aliases.items()}
    lookup.update({header_normalize(name): name for name in set(aliases.values())})
    headers = [lookup.get(header_normalize(cell), str(cell).strip()) for cell in rows[0]]
    duplicates = sorted({h for h in headers if headers.count(h) > 1 and h})
    if duplicates:
        raise TabularError(_("見出しが重複しています: %(cols)s") % {"cols": "、".join(duplicates)})
    missing = [name for name in required if name not in headers]
    if missing:
        raise TabularError(
            _("必須の列がありません: %(cols)s（見出し行を確認してください）")
            % {"cols": "、".join(missing)}
        )
    dataset = tablib.Dataset(headers=headers)
    width = len(headers)
    # Cells that arrive neutralised (a quote before =, +, -, @) were written by an export: they
    # are data, not formulas, and re-import unchanged. Only raw formula text is refused.
    neutralised: set[tuple[int, int]] = set()
    for row_index, row in enumerate(rows[1:]):
        cells = []
        for column, cell in enumerate((list(row) + [""] * width)[:width]):
            stripped = cell.strip() if isinstance(cell, str) else cell
            restored = cell_restore(stripped)
            if restored is not stripped:
                neutralised.add((row_index, column))
            cells.append(restored.strip() if isinstance(restored, str) else restored)
        dataset.append(cells)
    dataset.neutralised_cells = neutralised
    return dataset


def formula_errors(dataset: tablib.Dataset) -> list[str]:
    """Row-level messages for cells a spreadsheet would run (row 2 = the first data row)."""
    errors = []
    neutralised: set[tuple[int, int]] = getattr(dataset, "neutralised_cells", set())
    for index, row in enumerate(dataset, start=2):
        for column, (header, value) in enumerate(zip(dataset.headers, row, strict=True)):
            if (index - 2, column) not in neutralised and cell_is_formula(value):
                errors.append(
                    _(
                        "%(row)d行目「%(col)s」: 数式として実行されうる値は登録できません（%(value)s）"
                    )
                    % {"row": index, "col": header, "value": str(value)[:30]}
                )
    return errors


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
