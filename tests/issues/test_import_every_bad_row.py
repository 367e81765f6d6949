"""Issue #15 (second probe): a file with several kinds of bad rows lists every refused row.

Before, a formula (or any cell-level problem) stopped the check, so the unknown ward, the
too-long title and the wrong date further down were only reported on the next attempt; and a
row whose 整理番号 belonged to another ward's issue was blamed on the 区 column.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from issues.models import Issue
from issues.resources import AmountWidget
from portal.numfmt import number_shown
from tests.issues.factories import IssueFactory
from tests.portal.factories import ward

HEADERS = ["整理番号", "課題名", "課題の内容", "区", "分野", "緊急度", "希望開始日"]


def _book(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    sheet["F4"].number_format = "# ?/?"  # a fraction: Excel shows 「2 1/2」, the cell holds 2.5
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BAD_FILE_ROWS = [
    ["E-1", "正しい行", "内容", "港区", "高齢者支援", 3, "2026-04-01"],
    ["E-2", "=1+1", "内容", "港区", "高齢者支援", 3, None],  # 3: a formula
    ["E-3", "題", "内容", "港区", "高齢者支援", 2.5, None],  # 4: shown as a fraction
    ["E-4", "題", "内容", "ミナト区", "高齢者支援", 3, None],  # 5: unknown ward
    ["E-5", "長" * 201, "内容", "港区", "高齢者支援", 3, None],  # 6: 201 characters
    ["E-1", "題", "内容", "港区", "高齢者支援", 3, None],  # 7: duplicate 整理番号
    ["E-7", "題", "内容", "港区", "高齢者支援", 3, "2026-13-45"],  # 8: no such date
]
EXPECTED = [
    ("3行目「課題名」", "数式"),
    ("4行目「緊急度」", ""),
    ("5行目「区」", "区「ミナト区」が見つかりません"),
    ("6行目「課題名」", "200"),
    ("7行目「整理番号」", "重複"),
    ("8行目「希望開始日」", "日付"),
]


def _assert_every_row_listed(lines: list[str]) -> None:
    for where, why in EXPECTED:
        hits = [line for line in lines if line.startswith(where)]
        assert len(hits) == 1, (where, lines)  # one clear message, not a follow-on one
        assert why in hits[0], (where, hits[0])
    assert len(lines) == len(EXPECTED), lines


def test_the_command_lists_every_bad_row_and_writes_nothing(db, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_book(BAD_FILE_ROWS))
    with pytest.raises(CommandError, match="6件の誤り"):
        call_command("import_issues", str(path))
    _assert_every_row_listed(capsys.readouterr().err.splitlines())
    assert not Issue.objects.exists()


def test_the_screen_lists_every_bad_row_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    upload = io.BytesIO(_book(BAD_FILE_ROWS))
    upload.name = "bad.xlsx"
    response = client.post(reverse("issues:import"), {"file": upload})
    assert response.status_code == 400
    _assert_every_row_listed([str(e) for e in response.context["report"].errors_shown])
    assert "token" not in response.context
    assert not Issue.objects.exists()


def test_a_ref_of_another_wards_issue_is_refused_at_the_ref_column(client, coordinator):
    other = IssueFactory(ref="13104-2026-0001", ward=ward("13104"), title="新宿の非公開の題")
    client.force_login(coordinator)  # 千代田区
    text = "整理番号,課題名,課題の内容,区,分野\r\n13104-2026-0001,書き換え,内容,千代田区,高齢者支援\r\n"
    upload = io.BytesIO(text.encode())
    upload.name = "issues.csv"
    response = client.post(reverse("issues:import"), {"file": upload})
    assert response.status_code == 400
    errors = [str(e) for e in response.context["report"].errors_shown]
    assert errors == [
        "2行目「整理番号」: 整理番号「13104-2026-0001」は他区の課題の番号です。"
        "他区の課題は変更できません（新しい課題なら別の番号にしてください）。"
    ]
    body = response.content.decode()
    assert "新宿の非公開の題" not in body and "新宿区" not in body
    other.refresh_from_db()
    assert (other.title, other.ward.code) == ("新宿の非公開の題", "13104")


@pytest.mark.parametrize("fmt", ['"¥"#,##0', "[$¥-411]#,##0", '#,##0"円"', "\\¥#,##0"])
def test_an_amount_in_a_yen_format_is_the_amount_the_person_saw(fmt):
    shown = number_shown(1200, fmt)
    assert shown in ("¥1,200", "1,200円")
    assert AmountWidget().clean(shown) == 1200
    assert AmountWidget().clean("￥1,200") == 1200  # typed with a full-width yen sign
    with pytest.raises(ValueError, match="金額は0以上の整数"):
        AmountWidget().clean("$1,200")
