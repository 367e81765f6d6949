"""Issue #15 (second probe): the resource import lists every refused row once, by the header
the person sees, and writes nothing; a cell it could not read is not refused a second time for
the empty value it left (「タイトルが空です」 after 「表示どおりに読み取れません」)."""

from __future__ import annotations

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from partners.models import Organization, Resource

HEADERS = ["整理番号", "団体名", "種別", "種類", "タイトル", "内容", "対象区", "提供開始日"]
GOOD = ["R-1", "城南工業大学", "大学", "学生プログラム", "地域調査", "学生が調べます。", "港区"]
ROWS = [
    [*GOOD, "2026-04-01"],  # 2
    ["R-2", *GOOD[1:4], "=1+1", *GOOD[5:], None],  # 3: a formula
    ["R-3", *GOOD[1:4], 0.5, *GOOD[5:], None],  # 4: shown as 1/2, stored 0.5
    ["R-4", *GOOD[1:6], "ミナト区", None],  # 5: unknown ward
    ["R-5", *GOOD[1:4], "長" * 201, *GOOD[5:], None],  # 6: too long
    [*GOOD, None],  # 7: duplicate 整理番号
    ["R-7", *GOOD[1:], "2026-13-45"],  # 8: no such date
]
EXPECTED = [
    ("3行目「タイトル」", "数式"),
    ("4行目「タイトル」", "表示どおり"),
    ("5行目「対象区」", "区「ミナト区」が見つかりません"),
    ("6行目「タイトル」", "200文字以内"),
    ("7行目「整理番号」", "2行目と重複"),
    ("8行目「提供開始日」", "日付"),
]


@pytest.mark.django_db
def test_every_bad_row_is_listed_once_and_nothing_is_written(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    sheet["E4"].number_format = "# ?/?"
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(CommandError):
        call_command("import_resources", str(path))
    lines = capsys.readouterr().err.splitlines()
    for where, why in EXPECTED:
        hits = [line for line in lines if line.startswith(where)]
        assert len(hits) == 1, (where, lines)
        assert why in hits[0], (where, hits[0])
    assert len(lines) == len(EXPECTED), lines
    assert not Resource.objects.exists() and not Organization.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("capacity", "refused"),
    # 「1,000」 and 「5件」 as text: told the range, not 「整数で入力」 (issue #15, fifth probe).
    [(0, True), (1, False), (999, False), (1000, True), ("1,000", True), ("5件", True)],
)
def test_an_imported_capacity_of_0_is_refused_with_the_way_to_stop(
    tmp_path, capsys, capacity, refused
):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([*HEADERS[:7], "受入可能件数"])
    sheet.append([*GOOD, capacity])
    path = tmp_path / "capacity.xlsx"
    book.save(path)
    if not refused:
        call_command("import_resources", str(path))
        assert Resource.objects.get().capacity == capacity
        return
    with pytest.raises(CommandError):
        call_command("import_resources", str(path))
    assert "2行目「受入可能件数」: 受入可能件数は1〜999の整数" in capsys.readouterr().err
    assert not Resource.objects.exists()
