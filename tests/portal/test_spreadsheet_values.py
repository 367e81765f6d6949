"""A value read from a workbook is the value the person saw in Excel, or its row is refused
naming the row and the column header (issue #15, item 1)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from portal.numfmt import number_shown
from portal.tabular import TabularError, cell_errors, tabular_read

ALIASES = {"整理番号": "ref", "課題名": "title", "区": "ward", "希望開始日": "desired_start"}
HEADER = ["整理番号", "課題名", "区", "希望開始日"]


def _book(*rows, setup=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if setup:
        setup(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(data: bytes):
    return tabular_read(data=data, aliases=ALIASES, required=["ref"])


def test_a_merged_ward_is_the_ward_of_every_row_it_spans():
    data = _book(
        ["A-1", "見守り", "千代田区"],
        ["A-2", "買い物支援", None],
        ["A-3", "通学路", None],
        ["A-4", "防災", None],
        setup=lambda book, sheet: sheet.merge_cells("C2:C4"),
    )
    sheet = _read(data)
    assert [row[2] for row in sheet] == ["千代田区", "千代田区", "千代田区", ""]
    assert cell_errors(sheet) == []


def test_a_formula_cell_is_refused_naming_row_and_column():
    sheet = _read(_book(["A-1", "=A1&B1", "港区"]))
    assert cell_errors(sheet) == [
        "2行目「課題名」: 数式のセルは読み込めません（=A1&B1）。"
        "Excelで「値として貼り付け」をしてから保存し直してください。"
    ]


def test_an_error_value_is_refused():
    sheet = _read(_book(["A-1", "題", "#N/A"]))
    assert cell_errors(sheet) == ["2行目「区」: エラー値（#N/A）のセルは読み込めません。"]


def test_a_date_serial_under_a_date_format_is_the_date_shown():
    def fmt(book, sheet):
        sheet["D2"].number_format = "yyyy/m/d"

    sheet = _read(_book(["A-1", "題", "港区", dt.date(2026, 4, 1)], setup=fmt))
    assert sheet[0][3] == dt.date(2026, 4, 1)


def test_a_number_shows_through_its_format_zeros_percent_and_grouping():
    def fmt(book, sheet):
        sheet["A2"].number_format = "0000"
        sheet["B2"].number_format = "0%"
        sheet["D2"].number_format = "#,##0"

    sheet = _read(_book([7, 0.15, "港区", 1200], setup=fmt))
    assert list(sheet[0]) == ["0007", "15%", "港区", "1,200"]


def test_a_number_in_a_format_that_cannot_be_shown_faithfully_is_refused():
    def fmt(book, sheet):
        sheet["B2"].number_format = "# ?/?"

    sheet = _read(_book(["A-1", 0.5, "港区"], setup=fmt))
    assert cell_errors(sheet) == [
        "2行目「課題名」: 表示形式「# ?/?」の数値は、表示どおりに読み取れません。"
        "表示されている文字を、文字列として入力してください。"
    ]


def test_a_boolean_is_what_excel_shows():
    assert _read(_book(["A-1", True, "港区"]))[0][1] == "TRUE"


def test_a_hidden_row_is_refused_not_imported_unseen():
    def hide(book, sheet):
        sheet.row_dimensions[3].hidden = True

    sheet = _read(_book(["A-1", "題", "港区"], ["A-2", "隠れた行", "港区"], setup=hide))
    assert cell_errors(sheet) == [
        "3行目: 非表示の行です。表示して確かめるか、不要なら削除してから保存し直してください。"
    ]


def test_a_hidden_column_we_import_is_refused_an_unknown_one_is_not():
    def hide_ward(book, sheet):
        sheet.column_dimensions["C"].hidden = True

    with pytest.raises(TabularError, match="非表示の列があります: 区"):
        _read(_book(["A-1", "題", "港区"], setup=hide_ward))

    def hide_memo(book, sheet):
        sheet["E1"] = "メモ"
        sheet["E2"] = "内部用"
        sheet.column_dimensions["E"].hidden = True

    assert _read(_book(["A-1", "題", "港区"], setup=hide_memo))[0][2] == "港区"


def test_with_several_sheets_the_left_most_visible_one_is_read_and_errors_say_so():
    def second(book, sheet):
        book.create_sheet("前年度").append(["整理番号"])

    sheet = _read(_book(["A-1", "=1", "港区"], setup=second))
    assert "読み込んだのは左端のシート「Sheet」だけです（ほかのシート: 前年度）" in sheet.note


@pytest.mark.parametrize(
    "value,fmt,shown",
    [
        (7, "0000", "0007"),
        (1234567890123, "General", "1234567890123"),
        (0.1 + 0.2, "General", "0.3"),
        (0.155, "0.0%", "15.5%"),
        (1200, '"¥"#,##0', "¥1,200"),
        (-1200, "#,##0;[Red]\\(#,##0\\)", "(1,200)"),
        (5, '0"人"', "5人"),
        (2.5, "0", "3"),  # Excel rounds half away from zero
        (45000, "yyyy/m/d", None),  # a date format not recognised as one: never the serial
        (1, "0.00E+00", None),
        (12, "[DBNum1]General", None),
    ],
)
def test_number_shown(value, fmt, shown):
    assert number_shown(value, fmt) == shown
