"""The batch interface: import_issues / export_issues and the import screen."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from issues.models import Issue, IssueStatus
from portal.models import AccessLog
from tests.issues.factories import IssueFactory, field
from tests.portal.factories import ward

HEADER_JA = "整理番号,課題名,課題の内容,区,分野,緊急度,重要度,解決困難度,状態,sdgs\r\n"
ROWS_JA = (
    "EXT-001,一人暮らし高齢者の見守り,神田で一人暮らしの高齢者が増えている。,千代田区,高齢者支援,5,4,2,募集中,3;11\r\n"
    "EXT-002,保育園の送迎支援,共働き世帯の送迎が難しい。,13112,子育て支援,3,3,3,,\r\n"
    "EXT-003,区を問わないDX相談,行政手続きのオンライン化。,,DX・デジタル,2,2,4,draft,9\r\n"
)
HEADER_EN = "ref,title,description,ward,category\r\n"


def _write(tmp_path, text: str, encoding: str, name: str = "issues.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_import_csv_in_each_encoding(db, tmp_path, encoding):
    call_command("import_issues", str(_write(tmp_path, HEADER_JA + ROWS_JA, encoding)))
    first = Issue.objects.get(ref="EXT-001")
    assert first.title == "一人暮らし高齢者の見守り"
    assert first.ward.code == "13101"
    assert first.field.name == "高齢者支援"
    assert first.status == IssueStatus.OPEN
    assert first.sdgs == [3, 11]
    assert first.priority > 0
    assert Issue.objects.get(ref="EXT-002").ward.name_ja == "世田谷区"
    assert Issue.objects.get(ref="EXT-003").ward is None


def test_import_xlsx_with_english_headers(db, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ref", "title", "description", "ward", "category", "urgency"])
    sheet.append(
        ["X-1", "多言語の防災情報", "外国人住民に防災情報が届かない。", "Shinjuku", "防災・安全", 5]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "issues.xlsx"
    path.write_bytes(buffer.getvalue())
    call_command("import_issues", str(path))
    issue = Issue.objects.get(ref="X-1")
    assert issue.ward.name_ja == "新宿区"
    assert issue.urgency == 5


BAD_CASES = {
    "unknown ward": (
        HEADER_EN + "A-1,題,内容,ミナト区,高齢者支援\r\n",
        "区「ミナト区」が見つかりません",
    ),
    "unknown category": (
        HEADER_EN + "A-1,題,内容,港区,宇宙開発\r\n",
        "分野「宇宙開発」が見つかりません",
    ),
    "duplicate ref": (
        HEADER_EN + "A-1,題,内容,港区,高齢者支援\r\nA-1,題2,内容2,港区,高齢者支援\r\n",
        "2行目と重複",
    ),
    "score outside 1-5": (
        "ref,title,description,ward,category,urgency\r\nA-1,題,内容,港区,高齢者支援,7\r\n",
        "1〜5の整数",
    ),
    "formula cell": (HEADER_EN + 'A-1,=HYPERLINK("x"),内容,港区,高齢者支援\r\n', "数式"),
    "missing header": (
        "ref,title,description,ward\r\nA-1,題,内容,港区\r\n",
        "必須の列がありません",
    ),
    "empty title": (HEADER_EN + "A-1,,内容,港区,高齢者支援\r\n", "「title」"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_files_write_nothing_and_exit_non_zero(db, tmp_path, capsys, case):
    text, expected = BAD_CASES[case]
    with pytest.raises(CommandError) as excinfo:
        call_command("import_issues", str(_write(tmp_path, text, "utf-8")))
    output = str(excinfo.value) + capsys.readouterr().err
    assert expected in output
    assert Issue.objects.count() == 0


def test_wrong_encoding_is_refused(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER_EN.encode() + "A-1,題,内容,港区,高齢者支援\r\n".encode("utf-16"))
    with pytest.raises(CommandError, match=r"文字コード|CSVまたはExcel"):
        call_command("import_issues", str(path))
    assert Issue.objects.count() == 0


def test_one_bad_row_and_nothing_is_written(db, tmp_path, capsys):
    text = (
        HEADER_EN
        + "A-1,題,内容,港区,高齢者支援\r\nA-2,題,内容,港区,高齢者支援\r\nA-3,題,内容,港区,存在しない分野\r\n"
    )
    with pytest.raises(CommandError):
        call_command("import_issues", str(_write(tmp_path, text, "utf-8")))
    assert "4行目「category」" in capsys.readouterr().err
    assert Issue.objects.count() == 0


def test_export_reimports_unchanged(db, tmp_path):
    call_command("import_issues", str(_write(tmp_path, HEADER_JA + ROWS_JA, "utf-8")))
    IssueFactory(
        ref="F-1",
        title="買い物支援",
        description="駅前の商店街が減り、\n坂の上の団地から買い物に行けない。",
        target_groups=["elderly"],
        desired_resource_kinds=["people"],
        budget_min=10000,
        budget_max=500000,
        latitude="35.694000",
        longitude="139.753000",
    )
    before = {
        i.ref: (i.title, i.description, i.version, i.priority, i.sdgs) for i in Issue.objects.all()
    }
    first = tmp_path / "export1.csv"
    call_command("export_issues", str(first))
    data = first.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    call_command("import_issues", str(first))
    after = {
        i.ref: (i.title, i.description, i.version, i.priority, i.sdgs) for i in Issue.objects.all()
    }
    assert after == before  # unchanged rows are skipped: nothing moved, no version bump
    second = tmp_path / "export2.csv"
    call_command("export_issues", str(second))
    assert second.read_bytes() == data
    assert AccessLog.objects.filter(kind=AccessLog.Kind.EXPORT).count() == 2


def test_import_screen_preview_then_confirm(
    client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    upload = io.BytesIO((HEADER_JA + ROWS_JA).encode("cp932"))
    upload.name = "issues.csv"
    response = client.post(reverse("issues:import"), {"file": upload})
    assert response.status_code == 200
    assert "3行を確認しました" in response.content.decode()
    assert Issue.objects.count() == 0  # the preview writes nothing
    token = response.context["token"]
    # The confirmed import is a job; tasks run in-process once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("issues:import"), {"token": token})
    assert response.status_code == 302
    assert Issue.objects.count() == 3
    # the stored upload is gone: the same token cannot import twice
    response = client.post(reverse("issues:import"), {"token": token}, follow=True)
    assert "有効期限" in response.content.decode()


def test_import_screen_lists_row_errors(client, coordinator):
    client.force_login(coordinator)
    upload = io.BytesIO((HEADER_EN + "A-1,題,内容,ミナト区,高齢者支援\r\n").encode())
    upload.name = "issues.csv"
    response = client.post(reverse("issues:import"), {"file": upload})
    assert response.status_code == 400
    assert "2行目「ward」" in response.content.decode()
    assert "token" not in response.context


def test_export_screen_logs_and_filters(client, coordinator):
    IssueFactory(ref="K-1", ward=None)
    IssueFactory(ref="K-2")
    client.force_login(coordinator)
    response = client.get(reverse("issues:export", args=["csv"]) + "?ward=13101")
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "K-2" in body and "K-1" not in body
    assert AccessLog.objects.filter(kind=AccessLog.Kind.EXPORT, user=coordinator).exists()
    response = client.get(reverse("issues:export", args=["xlsx"]))
    assert response.content.startswith(b"PK")


def test_export_neutralises_formula_cells(db, tmp_path):
    IssueFactory(ref="F-2", title='=HYPERLINK("http://evil")')
    path = tmp_path / "export.csv"
    call_command("export_issues", str(path))
    assert b"'=HYPERLINK" in path.read_bytes()


def _upload(client, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "issues.csv"
    return client.post(reverse("issues:import"), {"file": upload})


def test_an_import_row_cannot_touch_another_wards_issue(client, coordinator):
    # 千代田区's coordinator exported 新宿区's issue, edited it and imported it back.
    shinjuku = IssueFactory(ref="13104-2026-0001", ward=ward("13104"), title="新宿の課題")
    client.force_login(coordinator)
    response = _upload(client, HEADER_EN + "13104-2026-0001,書き換え,内容,13101,高齢者支援\r\n")
    assert response.status_code == 400
    assert "2行目「ref」: 整理番号「13104-2026-0001」は他区の課題の番号です。" in (
        response.content.decode()
    )
    shinjuku.refresh_from_db()
    assert (shinjuku.title, shinjuku.ward.code) == ("新宿の課題", "13104")


def test_an_import_row_cannot_create_or_move_an_issue_into_another_ward(client, coordinator):
    own = IssueFactory(ref="13101-2026-0001", ward=ward("13101"))
    client.force_login(coordinator)
    for row in ("X-NEW,題,内容,新宿区,高齢者支援", "13101-2026-0001,題,内容,新宿区,高齢者支援"):
        response = _upload(client, HEADER_EN + row + "\r\n")
        assert response.status_code == 400, row
        assert "2行目「ward」: 他区の課題は登録・変更できません。" in response.content.decode()
    assert not Issue.objects.filter(ref="X-NEW").exists()
    own.refresh_from_db()
    assert own.ward.code == "13101"


def test_an_import_row_follows_the_status_workflow(db, tmp_path, capsys):
    IssueFactory(ref="R-1", ward=ward("13101"), status=IssueStatus.RESOLVED)
    path = _write(
        tmp_path,
        HEADER_EN.replace("category", "category,status")
        + "R-1,題,内容,13101,高齢者支援,募集中\r\n",
        "utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_issues", str(path))
    assert "「解決」から「募集中」には変更できません。" in capsys.readouterr().err
    assert Issue.objects.get(ref="R-1").status == IssueStatus.RESOLVED


@pytest.mark.parametrize("status", ["解決", "連携中", "保留", "取下げ"])
def test_a_new_issue_in_an_import_starts_where_the_form_lets_it(db, tmp_path, capsys, status):
    path = _write(
        tmp_path,
        HEADER_EN.replace("category", "category,status")
        + f"PRS-01,題,内容,13101,高齢者支援,{status}\r\n",
        "utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_issues", str(path))
    err = capsys.readouterr().err
    assert "新しい課題は「下書き」「精査中」「募集中」のいずれかで登録してください" in err
    assert f"「{status}」にはできません" in err
    assert not Issue.objects.filter(ref="PRS-01").exists()


def test_registering_or_moving_an_issue_into_another_ward_is_refused(client, coordinator):
    client.force_login(coordinator)
    data = {
        "title": "題",
        "description": "内容",
        "ward": ward("13104").pk,
        "source": "staff",
        "field": field("高齢者支援").pk,
        "urgency": 3,
        "importance": 3,
        "difficulty": 3,
        "status": IssueStatus.OPEN,
    }
    response = client.post(reverse("issues:create"), data)
    assert response.status_code == 400
    assert "他区の課題は登録・変更できません。" in response.content.decode()
    assert not Issue.objects.exists()
    own = IssueFactory(ward=ward("13101"))
    data["version"] = own.version
    response = client.post(reverse("issues:edit", args=[own.pk]), data)
    assert response.status_code == 400
    assert "他区の課題は登録・変更できません。" in response.content.decode()
    own.refresh_from_db()
    assert own.ward.code == "13101"


def test_a_ward_merged_over_three_rows_is_the_ward_of_each(db, tmp_path):
    # Issue #15: 区 merged over D2:D4 (千代田区) saved rows 3 and 4 as ward-independent.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["整理番号", "課題名", "課題の内容", "区", "分野"])
    for n in range(1, 4):
        sheet.append([f"M-{n}", "題", "内容", "千代田区" if n == 1 else None, "高齢者支援"])
    sheet.merge_cells("D2:D4")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    call_command("import_issues", str(path))
    assert [i.ward.name_ja for i in Issue.objects.order_by("ref")] == ["千代田区"] * 3


def test_a_row_error_names_the_row_the_person_sees_and_the_header_the_file_used(
    db, tmp_path, capsys
):
    # A blank line and a line of empty cells before the bad row: it is row 5 in Excel.
    text = "整理番号,課題名,課題の内容,区,分野\r\nA-1,題,内容,港区,高齢者支援\r\n\r\n,,,,\r\n"
    text += "A-2,題,内容,港区,宇宙開発\r\n"
    with pytest.raises(CommandError):
        call_command("import_issues", str(_write(tmp_path, text, "utf-8")))
    assert "5行目「分野」: 分野「宇宙開発」が見つかりません" in capsys.readouterr().err


def test_the_screen_names_rows_and_columns_as_in_the_file(client, coordinator):
    client.force_login(coordinator)
    header = "整理番号,課題名,課題の内容,区,分野\r\n\r\n"
    body = _upload(client, header + "A-1,題,内容,ミナト区,高齢者支援\r\n").content.decode()
    assert "3行目「区」: 区「ミナト区」が見つかりません。" in body
    text = header + "A-1,題,内容,港区,高齢者支援\r\n,,,,\r\nA-1,題,内容,港区,高齢者支援\r\n"
    body = _upload(client, text).content.decode()
    assert "5行目「整理番号」: 整理番号「A-1」が3行目と重複しています。" in body


def test_a_file_with_many_bad_rows_shows_the_first_200_and_counts_the_rest(db, tmp_path, capsys):
    text = HEADER_EN + "".join(f"A-{n},題,内容,港区,存在しない\r\n" for n in range(250))
    with pytest.raises(CommandError, match="250件の誤り"):
        call_command("import_issues", str(_write(tmp_path, text, "utf-8")))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 201
    assert err[-1] == "ほか 50 件の誤りがあります（最初の 200 件だけ表示しています）。"


def test_a_japanese_builtin_date_is_the_date_in_a_date_column_and_its_text_in_a_text_one(
    db, tmp_path
):
    # Issue #15 probe: numFmtId 31 (yyyy"年"m"月"d"日") with no definition in the file stored
    # 課題名 "46479" and refused 希望開始日 as 「46480」.
    from tests.portal.test_spreadsheet_display import _builtin_id

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["整理番号", "課題名", "課題の内容", "区", "分野", "希望開始日"])
    sheet.append(["D-1", 46479, "内容", "港区", "高齢者支援", 46480])
    sheet["B2"].number_format = sheet["F2"].number_format = "yyyy-mm-dd;@"
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "dates.xlsx"
    path.write_bytes(_builtin_id(buffer.getvalue(), "yyyy-mm-dd;@", 31))
    call_command("import_issues", str(path))
    issue = Issue.objects.get(ref="D-1")
    assert issue.title == "2027年4月2日"
    assert issue.desired_start.isoformat() == "2027-04-03"


def test_the_preview_maps_a_header_with_a_note_and_lists_columns_it_does_not_import(
    client, coordinator
):
    client.force_login(coordinator)
    text = "整理番号,課題名,課題の内容,区,分野,緊急度（1〜5）,備考\r\n"
    text += "N-1,題,内容,千代田区,高齢者支援,5,内部メモ\r\n"
    response = _upload(client, text)
    body = response.content.decode()
    assert "1行を確認しました。誤りはありません。" in body
    assert "取り込まない列: <code>備考</code>" in body
    report = response.context["report"]
    assert report.ignored_columns == ["備考"]
    response = _upload(client, text.replace("緊急度（1〜5）", "緊急度の目安"))
    assert "見出し「緊急度の目安」は読み取れません（「緊急度」の列なら" in response.content.decode()


def test_a_too_long_ref_is_refused_naming_its_column(db, tmp_path, capsys):
    # Issue #15 probe: 「3行目: 40文字以内にしてください（48文字あります）」, no column named.
    text = "整理番号,課題名,課題の内容,区,分野\r\nA-1,題,内容,港区,高齢者支援\r\n"
    text += "R" * 48 + ",題,内容,港区,高齢者支援\r\n"
    with pytest.raises(CommandError):
        call_command("import_issues", str(_write(tmp_path, text, "utf-8")))
    assert "3行目「整理番号」: 40文字以内にしてください（48文字あります）。" in (
        capsys.readouterr().err
    )
    assert Issue.objects.count() == 0
