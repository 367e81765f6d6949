"""The three oversized inputs of issue #15 (item 6), written to a directory for measuring.

    .venv/bin/python -m benchmarks.bench_import write DIR
    /usr/bin/time -v .venv/bin/python manage.py import_issues --dry-run DIR/declared.xlsx

- declared.xlsx: 1.7 KB, declares A1:XFD1048576 and has one cell in row 1,048,576;
- million.csv: a header and 1,000,000 rows (8 MB, under the 10 MB upload limit);
- longcell.csv: one cell of 200,000 characters (over the csv module's field limit).
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HEADER = "ref,title,description,ward,category\r\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def declared_xlsx() -> bytes:
    header = "".join(
        _inline(f"{col}1", name) for col, name in zip("ABCDE", HEADER.split(",")[:5], strict=True)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{header}</row>'
        f'<row r="1048576">{_inline("A1048576", "X")}</row>'
        "</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def million_csv() -> bytes:
    return (HEADER + "x,t,d,,\n" * 1_000_000).encode()


def long_cell_csv() -> bytes:
    return (HEADER + "A-1," + "長" * 200_000 + ",d,港区,高齢者支援\r\n").encode()


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[1] != "write":
        raise SystemExit(__doc__)
    target = Path(argv[2])
    target.mkdir(parents=True, exist_ok=True)
    (target / "declared.xlsx").write_bytes(declared_xlsx())
    (target / "million.csv").write_bytes(million_csv())
    (target / "longcell.csv").write_bytes(long_cell_csv())


if __name__ == "__main__":
    main(sys.argv)
