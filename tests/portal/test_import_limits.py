"""Input of any size ends cleanly and quickly (issue #15, item 6)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from benchmarks.bench_import import declared_xlsx, long_cell_csv
from portal import xlsx
from portal.tabular import (
    ERRORS_SHOWN,
    ImportOutcome,
    TabularError,
    cell_errors,
    tabular_read,
)


def test_a_workbook_declaring_a_million_rows_is_read_in_little_time_and_memory():
    tracemalloc.start()
    started = time.perf_counter()
    try:
        sheet = tabular_read(data=declared_xlsx(), aliases={}, required=["ref"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 20 * 1024 * 1024
    assert sheet.row_numbers == [1_048_576]  # only the row the file really has
    assert list(sheet[0]) == ["X", "", "", "", ""]


def test_more_rows_than_the_limit_are_refused_before_reading_on():
    data = ("ref\r\n" + "".join(f"A-{n}\r\n" for n in range(11))).encode()
    with pytest.raises(TabularError, match="行数が多すぎます（上限 10 行）"):
        tabular_read(data=data, aliases={}, required=["ref"], max_rows=10)
    assert len(tabular_read(data=data, aliases={}, required=["ref"], max_rows=11)) == 11


def test_a_workbook_with_more_rows_than_the_limit_is_refused():
    book = openpyxl.Workbook()
    for n in range(12):
        book.active.append([f"A-{n}"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(TabularError, match="行数が多すぎます"):
        tabular_read(data=out.getvalue(), aliases={}, required=[], max_rows=10)


def test_a_cell_over_the_csv_field_limit_is_a_message_not_a_traceback():
    with pytest.raises(TabularError, match="2行目: セルの文字数が多すぎる"):
        tabular_read(data=long_cell_csv(), aliases={}, required=["ref"])


def test_a_cell_over_excels_own_limit_is_refused_naming_row_and_column():
    data = ("整理番号,課題名\r\nA-1," + "長" * 40_000 + "\r\n").encode()
    sheet = tabular_read(data=data, aliases={"課題名": "title"}, required=[])
    assert cell_errors(sheet) == [
        "2行目「課題名」: 1つのセルは32,767文字までです（40,000文字あります）。"
    ]


def test_a_zip_bomb_is_refused_from_its_declared_sizes(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * (2 * 1024 * 1024))
    assert len(out.getvalue()) < 10_000
    with pytest.raises(TabularError, match="中身が大きすぎます（展開後 2 MB、上限 1 MB）"):
        tabular_read(data=out.getvalue(), aliases={}, required=[])


def test_only_the_first_errors_are_shown_with_a_count_of_the_rest():
    report = ImportOutcome(errors=[f"{n}行目: 誤り" for n in range(2, 2 + ERRORS_SHOWN + 5)])
    shown = report.errors_shown
    assert len(shown) == ERRORS_SHOWN + 1
    assert shown[-1] == "ほか 5 件の誤りがあります（最初の 200 件だけ表示しています）。"
