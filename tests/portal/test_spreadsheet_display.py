"""Second probe of issue #15 item 1: what Excel shows, for the formats Japanese Excel writes
without a definition, for text under a format, and for rows and columns nobody can see."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from portal.numfmt import JA_BUILTIN_FORMATS, date_shown, text_shown
from portal.tabular import TabularError, cell_errors
from tests.portal.factories import wall_clock
from tests.portal.test_spreadsheet_values import _book, _read

SERIAL_2027_04_15 = 46492  # what the cell stores; Excel shows the date


def _patched(data: bytes, part: str, change) -> bytes:
    """The workbook with one XML part rewritten, as another program would have written it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == part:
                content = change(content.decode()).encode()
            target.writestr(info, content)
    return out.getvalue()


def _builtin_id(data: bytes, code: str, format_id: int) -> bytes:
    """Replace the custom format `code` by the built-in `format_id`, with no definition in the
    file: how Japanese Excel saves 2027年4月15日 typed into a cell."""

    def change(xml: str) -> str:
        escaped = re.escape(code.replace('"', "&quot;"))
        found = re.search(rf'<numFmt numFmtId="(\d+)" formatCode="{escaped}"\s*/>', xml)
        assert found, xml
        xml = xml.replace(found.group(0), "")
        return xml.replace(f'numFmtId="{found.group(1)}"', f'numFmtId="{format_id}"')

    return _patched(data, "xl/styles.xml", change)


@pytest.mark.parametrize(
    ("format_id", "shown"),
    [
        (31, "2027年4月15日"),
        (56, "4月15日"),
        (58, "令和9年4月15日"),
        (27, "R9.4.15"),
        (34, "2027年4月"),
        (55, "2027年4月"),
    ],
)
def test_a_japanese_builtin_date_format_is_a_date_shown_as_excel_shows_it(format_id, shown):
    marker = "yyyy-mm-dd;@"  # any custom format: replaced by the bare built-in id below

    def fmt(book, sheet):
        sheet["B2"].number_format = marker
        sheet["D2"].number_format = marker

    data = _builtin_id(
        _book(["A-1", SERIAL_2027_04_15, "港区", SERIAL_2027_04_15], setup=fmt), marker, format_id
    )
    sheet = _read(data)
    title, start = sheet[0][1], sheet[0][3]
    assert str(title) == shown  # a text column: the text Excel shows, never "46492"
    assert start == dt.date(2027, 4, 15)  # a date column: the date
    assert cell_errors(sheet) == []


def test_a_japanese_builtin_time_format_is_refused_naming_row_and_column():
    marker = "yyyy-mm-dd;@"

    def fmt(book, sheet):
        sheet["D2"].number_format = marker

    sheet = _read(_builtin_id(_book(["A-1", "題", "港区", 0.5], setup=fmt), marker, 32))
    assert cell_errors(sheet) == [
        "2行目「希望開始日」: 時刻・時間の値は読み込めません。文字列として入力してください。"
    ]


@pytest.mark.parametrize("fmt", ["h:mm", "[h]:mm:ss", "mm:ss", 'h"時"mm"分"', "h:mm AM/PM"])
def test_a_date_under_a_time_only_format_is_refused_as_the_time_the_person_saw(fmt):
    """Excel shows 0:00 for 2027-04-01 under h:mm: the date was never on the screen."""

    def formatted(book, sheet):
        sheet["D2"].number_format = fmt

    sheet = _read(_book(["A-1", "題", "港区", wall_clock(2027, 4, 1)], setup=formatted))
    assert cell_errors(sheet) == [
        "2行目「希望開始日」: 時刻・時間の値は読み込めません。文字列として入力してください。"
    ]


@pytest.mark.parametrize("fmt", ["yyyy/m/d h:mm", "m/d", "mmm d", "[$-411]ge.m.d"])
def test_a_format_that_shows_the_date_keeps_it(fmt):
    def formatted(book, sheet):
        sheet["D2"].number_format = fmt

    sheet = _read(_book(["A-1", "題", "港区", wall_clock(2026, 10, 4, 23, 59)], setup=formatted))
    assert cell_errors(sheet) == []
    value = sheet[0][3]
    assert (value.date() if isinstance(value, dt.datetime) else value) == dt.date(2026, 10, 4)


def test_every_japanese_builtin_date_id_is_known():
    assert set(range(27, 37)) | set(range(50, 59)) == set(JA_BUILTIN_FORMATS)


@pytest.mark.parametrize(
    ("day", "fmt", "shown"),
    [
        (dt.date(2019, 4, 30), '[$-411]ggge"年"m"月"d"日"', "平成31年4月30日"),
        (dt.date(2019, 5, 1), "[$-411]ge.m.d", "R1.5.1"),
        (dt.date(2026, 4, 1), "yyyy/mm/dd(aaa)", "2026/04/01(水)"),
        (dt.date(2026, 4, 1), "yyyy/m/d h:mm", None),  # a time part: not a plain date
    ],
)
def test_date_shown(day, fmt, shown):
    assert date_shown(day, fmt) == shown


@pytest.mark.parametrize(
    ("text", "fmt", "shown"),
    [
        ("5", '"第"@"号"', "第5号"),
        ("abc", '0;-0;0;"ID-"@', "ID-abc"),
        ("abc", "0;-0", "abc"),  # no text section: shown as typed
        ("abc", "@", "abc"),
        ("abc", '0;-0;0;"No."#@', None),  # a digit placeholder in the text section
    ],
)
def test_text_shown(text, fmt, shown):
    assert text_shown(text, fmt) == shown


def test_text_under_a_format_with_literal_text_is_what_excel_shows():
    def fmt(book, sheet):
        sheet["A2"].number_format = '"第"@"号"'
        sheet["B2"].number_format = '0;-0;0;"ID-"@'
        sheet["C3"].number_format = '0;-0;0;"No."#@'

    sheet = _read(_book(["5", "abc", "港区"], ["A-2", "題", "港区"], setup=fmt))
    assert list(sheet[0])[:2] == ["第5号", "ID-abc"]
    assert cell_errors(sheet) == [
        '3行目「区」: 表示形式「0;-0;0;"No."#@」の文字列は、表示どおりに読み取れません。'
        "表示されている文字を、表示形式「文字列」で入力してください。"
    ]


def test_a_row_of_zero_height_counts_as_hidden():
    # Invisible in Excel, yet no hidden flag: how some programs hide a row.
    data = _patched(
        _book(["A-1", "題", "港区"], ["A-2", "見えない行", "港区"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace('<row r="3"', '<row r="3" ht="0" customHeight="1"'),
    )
    assert cell_errors(_read(data)) == [
        "3行目: 非表示の行です。表示して確かめるか、不要なら削除してから保存し直してください。"
    ]


def test_rows_without_a_height_on_a_zero_height_sheet_are_hidden():
    data = _patched(
        _book(["A-1", "題", "港区"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r"<sheetFormatPr ", '<sheetFormatPr zeroHeight="1" ', xml),
    )
    errors = cell_errors(_read(data))
    assert errors and errors[0].startswith("2行目: 非表示の行です。")


def test_a_column_of_zero_width_we_import_counts_as_hidden():
    data = _patched(
        _book(["A-1", "題", "港区"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            "<sheetData>",
            '<cols><col min="3" max="3" width="0" customWidth="1"/></cols><sheetData>',
        ),
    )
    with pytest.raises(TabularError, match="非表示の列があります: 区"):
        _read(data)
