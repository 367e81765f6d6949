import io

import openpyxl
import pytest

from portal.tabular import (
    TabularError,
    cell_errors,
    cell_is_formula,
    csv_bytes,
    tabular_read,
)

ALIASES = {"整理番号": "ref", "課題名": "title", "区": "ward"}
TEXT = "ref,title,ward\nA-1,高齢者の見守り,千代田区\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_japanese_encoding_reads_the_same(encoding):
    dataset = tabular_read(data=TEXT.encode(encoding), aliases=ALIASES, required=["ref", "title"])
    assert dataset.headers == ["ref", "title", "ward"]
    assert dataset[0] == ("A-1", "高齢者の見守り", "千代田区")


def test_japanese_headers_map_to_canonical_names():
    data = "整理番号,課題名,区\nA-1,子育て支援,港区\n".encode("cp932")
    dataset = tabular_read(data=data, aliases=ALIASES, required=["ref", "title"])
    assert dataset.headers == ["ref", "title", "ward"]


def test_xlsx_is_read_by_content_not_name():
    book = openpyxl.Workbook()
    book.active.append(["ref", "title", "ward"])
    book.active.append(["A-1", "防災訓練", "13101"])
    out = io.BytesIO()
    book.save(out)
    dataset = tabular_read(data=out.getvalue(), aliases=ALIASES, required=["ref"])
    assert dataset[0] == ("A-1", "防災訓練", "13101")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "空"),
        ("ref,title\n".encode("utf-16"), "CSVまたはExcel"),
        (b"\xff\xfe\xfa\xfb,\x80\x81\n", "文字コード"),
        (b"title,ward\nx,y\n", "必須の列がありません: ref"),
        (b"ref,ref,title\n1,2,3\n", "重複"),
    ],
)
def test_bad_files_get_a_clear_message(data, message):
    with pytest.raises(TabularError, match=message):
        tabular_read(data=data, aliases=ALIASES, required=["ref", "title"])


def test_oversized_file_is_refused():
    with pytest.raises(TabularError, match="大きすぎます"):
        tabular_read(data=b"x" * 2048, aliases={}, required=[], max_bytes=1024)


@pytest.mark.parametrize(
    "value,is_formula",
    [
        ('=HYPERLINK("http://x")', True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        # Issue #15, third probe: a sign then a digit passed as "a number" and ran in Excel.
        ('+1+HYPERLINK("http://evil.example","click")', True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("-2+3", True),  # Excel shows 1, not what was stored
        ("- cmd|' /C calc'!A0", True),
        ("- 箇条書きの説明", False),
        ("-1", False),
        ("+3.5", False),
        ("-1,200", False),
        ("高齢者", False),
    ],
)
def test_formula_detection(value, is_formula):
    assert cell_is_formula(value) is is_formula


def test_formula_cells_are_reported_with_row_and_column():
    data = b"ref,title\nA-1,=1+1\n"
    dataset = tabular_read(data=data, aliases={}, required=["ref"])
    assert cell_errors(dataset) == [
        "2行目「title」: 数式として実行されうる値は登録できません（=1+1）"
    ]


def test_export_neutralises_formulas_and_reimports_unchanged():
    rows = [["A-1", "=1+1", "- 箇条書き", "\tタブ", "@x", "+y", "普通"]]
    headers = ["ref", "a", "b", "c", "d", "e", "f"]
    data = csv_bytes(headers=headers, rows=rows)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=1+1" in text and "'@x" in text and "'+y" in text and "'- 箇条書き" in text
    back = tabular_read(data=data, aliases={}, required=["ref"])
    assert list(back[0]) == ["A-1", "=1+1", "- 箇条書き", "タブ", "@x", "+y", "普通"]


def test_an_exported_formula_like_value_reimports_without_being_refused():
    data = csv_bytes(headers=["ref", "title"], rows=[["A-1", "=SUM(A1)"], ["A-2", "-abc"]])
    dataset = tabular_read(data=data, aliases={}, required=["ref"])
    assert [row[1] for row in dataset] == ["=SUM(A1)", "-abc"]
    assert cell_errors(dataset) == []
    raw = tabular_read(data=b"ref,title\nA-1,=SUM(A1)\n", aliases={}, required=["ref"])
    assert len(cell_errors(raw)) == 1


@pytest.mark.parametrize("cell", ["T\x01", "前\x0b後", "\x1b[0m", "a\x1fb"])
def test_a_cell_with_a_control_character_is_refused_naming_row_and_column(cell):
    # Issue #15 probe: title "T\x01" and "\x0b" inside a description were stored.
    data = ("整理番号,課題名\r\nA-1,題\r\nA-2," + cell + "\r\n").encode()
    sheet = tabular_read(data=data, aliases={"整理番号": "ref", "課題名": "title"}, required=[])
    code = f"U+{ord(next(c for c in cell if ord(c) < 32)):04X}"
    assert cell_errors(sheet) == [
        f"3行目「課題名」: 入力できない制御文字（{code}）が含まれています。"
        "Excelでその部分を入力し直してください。"
    ]


def test_tab_and_line_breaks_inside_a_cell_are_kept():
    data = '整理番号,課題の内容\r\nA-1,"一行目\r\n二行目\tタブ"\r\n'.encode()
    sheet = tabular_read(data=data, aliases={"整理番号": "ref", "課題の内容": "d"}, required=[])
    assert cell_errors(sheet) == []
    assert sheet[0][1] == "一行目\r\n二行目\tタブ"


def test_a_header_with_a_note_in_brackets_is_its_column():
    # Issue #15 probe: 「緊急度（1〜5）」 with 5 was dropped and the issue stored the default 3.
    data = "整理番号,緊急度（1〜5）,予算上限 [円],区【必須】\r\nA-1,5,100,港区\r\n".encode()
    aliases = {"整理番号": "ref", "緊急度": "urgency", "予算上限": "budget_max", "区": "ward"}
    sheet = tabular_read(data=data, aliases=aliases, required=["ref"])
    assert sheet.headers == ["ref", "urgency", "budget_max", "ward"]
    assert sheet.label("urgency") == "緊急度（1〜5）"
    assert sheet.ignored_columns == []


def test_a_header_that_contains_a_known_name_is_refused_naming_the_name_to_use():
    data = "整理番号,ＳＤＧｓ番号\r\nA-1,3\r\n".encode()
    aliases = {"整理番号": "ref", "sdg": "sdgs", "SDGs目標": "sdgs"}
    with pytest.raises(TabularError) as refused:
        tabular_read(data=data, aliases=aliases, required=["ref"])
    assert str(refused.value) == (
        "見出し「ＳＤＧｓ番号」は読み取れません（「SDGs目標」の列なら、見出しを「SDGs目標」にしてください）。"
    )


def test_an_unknown_header_is_listed_as_not_imported():
    data = "整理番号,メモ,課題名\r\nA-1,内部用,題\r\n".encode()
    sheet = tabular_read(data=data, aliases=ALIASES, required=["ref"])
    assert sheet.ignored_columns == ["メモ"]
    assert sheet.headers == ["ref", "メモ", "title"]


@pytest.mark.parametrize(
    ("header", "named"),
    [(["整理番号", "課題名", "課題名"], "課題名"), (["整理番号", "値", "値"], "値")],
)
def test_a_repeated_header_is_named_as_the_file_names_it(header, named):
    # Issue #15, fifth probe: 「見出しが重複しています: title」 for 課題名 twice.
    data = (",".join(header) + "\r\nA-1,x,y\r\n").encode()
    aliases = {"整理番号": "ref", "課題名": "title", "値": "value"}
    with pytest.raises(TabularError) as refused:
        tabular_read(data=data, aliases=aliases, required=["ref"])
    assert str(refused.value) == f"見出しが重複しています: {named}"


def test_a_title_row_above_the_header_says_the_header_belongs_in_row_1():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["地域課題一覧（令和8年度）"])
    sheet.merge_cells("A1:C1")
    sheet.append(["整理番号", "課題名", "区"])
    sheet.append(["A-1", "防災訓練", "13101"])
    out = io.BytesIO()
    book.save(out)
    # 「地域」 is a column's name: the title used to be refused as a header to rename.
    aliases = {"整理番号": "ref", "課題名": "title", "区": "ward", "地域": "area"}
    with pytest.raises(TabularError) as refused:
        tabular_read(data=out.getvalue(), aliases=aliases, required=["ref", "title"])
    message = str(refused.value)
    assert "1行目が見出し行になっていません（1行目: 「地域課題一覧（令和8年度）」）" in message
    assert "「整理番号」「課題名」など" in message and "読み取れません" not in message


def _xlsx(*rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


UNHEADED = (
    "値「余分な値」には見出しがないため取り込めません。見出しを付けるか、値を消してください。"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Issue #15, fifth probe: a value right of the last header vanished from a measurements CSV.
        (
            "指標,測定日,値,定性評価\n見守り訪問件数,2026-11-27,1,,余分な値\n".encode(),
            f"2行目: 5列目（E列）の{UNHEADED}",
        ),
        # A column whose header cell is blank, between two named ones.
        (
            "指標,,測定日\n見守り訪問件数,余分な値,2026-11-27\n".encode("cp932"),
            f"2行目: 2列目（B列）の{UNHEADED}",
        ),
        (
            _xlsx(
                ["指標", "測定日", "値"], [], ["見守り訪問件数", "2026-11-27", 1, None, "余分な値"]
            ),
            f"3行目: 5列目（E列）の{UNHEADED}",
        ),
        # Only the value outside the header on its row: the row is still refused, not skipped.
        (
            _xlsx(["指標", "測定日"], [None, None, None, "余分な値"]),
            f"2行目: 4列目（D列）の{UNHEADED}",
        ),
    ],
)
def test_a_value_in_a_column_without_a_header_is_refused_naming_row_and_column(data, expected):
    from evaluation.measurements import measurements_sheet

    assert expected in cell_errors(measurements_sheet(data))


def test_blank_cells_right_of_the_header_are_no_values():
    dataset = tabular_read(data=b"ref,title\nA-1,x,, \n", aliases={}, required=["ref"])
    assert cell_errors(dataset) == []
    assert dataset[0] == ("A-1", "x")
