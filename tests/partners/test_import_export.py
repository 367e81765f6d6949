"""import_resources / export_resources and the import screen: encodings, bad rows, round trip."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from partners.models import Organization, Resource
from partners.services import organization_search_refresh
from tests.partners.factories import OrganizationFactory

HEADER_JA = "整理番号,団体名,種別,種類,タイトル,内容,対象区,法人番号,受入可能件数,提供開始日,提供終了日,分野,SDGs"
ROW_1 = "R-001,株式会社みなとデジタルソリューションズ,企業,技術・ノウハウ,スマホ教室の講師派遣,社員が講師となり高齢者向けスマホ教室を開きます。,港区;千代田,1180301018771,3,2026-04-01,2027-03-31,DX・デジタル;高齢者支援,3;9"
ROW_2 = "R-002,城南工業大学,大学,students,学生による地域調査,ゼミの学生が商店街を調査し提案します。,,,2,,,まちづくり・都市計画,11"


def csv_text(*rows, header=HEADER_JA):
    return "\r\n".join([header, *rows]) + "\r\n"


def write(tmp_path, content: bytes, name="resources.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def xlsx_bytes(text: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for line in text.strip().split("\r\n"):
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: t.encode("utf-8-sig"),
    "cp932": lambda t: t.encode("cp932"),
    "xlsx": xlsx_bytes,
}


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_import_each_encoding(tmp_path, encoding):
    path = write(tmp_path, ENCODINGS[encoding](csv_text(ROW_1, ROW_2)))
    call_command("import_resources", str(path))
    first = Resource.objects.get(ref="R-001")
    assert first.organization.name == "株式会社みなとデジタルソリューションズ"
    assert first.organization.corporate_number == "1180301018771"
    assert first.organization.status == "approved"
    assert first.kind == "technology" and first.capacity == 3
    assert sorted(w.name_ja for w in first.wards.all()) == ["千代田区", "港区"]
    assert not first.serves_all_wards
    assert sorted(f.name for f in first.fields.all()) == ["DX・デジタル", "高齢者支援"]
    assert first.sdgs == [3, 9]
    second = Resource.objects.get(ref="R-002")
    assert second.organization.org_type == "university"
    assert second.serves_all_wards and second.wards.count() == 0
    assert second.kind == "students"


@pytest.mark.django_db
def test_english_headers_and_matching_by_corporate_number_then_name(tmp_path):
    # Registered with the legal form abbreviated: the same name as compared.
    by_number = OrganizationFactory(
        name="（株）みなとデジタル ソリューションズ", corporate_number="1180301018771"
    )
    by_name = OrganizationFactory(name="城南工業大学", org_type="university")
    header = "ref,organization,org_type,kind,title,description,wards,corporate_number,capacity,available_from,available_until,fields,sdgs"
    path = write(tmp_path, csv_text(ROW_1, ROW_2, header=header).encode())
    call_command("import_resources", str(path))
    assert Resource.objects.get(ref="R-001").organization == by_number
    assert Resource.objects.get(ref="R-002").organization == by_name
    assert Organization.objects.count() == 2


BAD_ROWS = {
    "invalid corporate number": (
        ROW_1.replace("1180301018771", "1180301018772"),
        "チェックディジット",
    ),
    "empty description": (
        ROW_1.replace("社員が講師となり高齢者向けスマホ教室を開きます。", ""),
        "内容が空",
    ),
    "negative capacity": (ROW_1.replace(",3,2026", ",-3,2026"), "1〜999の整数"),
    "period ends before start": (ROW_1.replace("2027-03-31", "2026-03-31"), "提供開始日より前"),
    "unknown kind": (ROW_1.replace("技術・ノウハウ", "魔法"), "リソースの種類"),
    "unknown ward": (ROW_1.replace("港区;千代田", "港区;横浜"), "横浜"),
    "unknown org type": (ROW_1.replace(",企業,", ",宇宙人,"), "種別"),
    "formula cell": (ROW_1.replace("スマホ教室の講師派遣", "=HYPERLINK(1)"), "数式"),
    "duplicate ref": (ROW_2.replace("R-002", "R-001"), "重複"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_ROWS)
def test_bad_rows_write_nothing_and_exit_non_zero(tmp_path, case, capsys):
    bad, message = BAD_ROWS[case]
    rows = (ROW_1, bad) if case == "duplicate ref" else (ROW_2, bad)
    path = write(tmp_path, csv_text(*rows).encode("utf-8"))
    with pytest.raises(CommandError, match="何も取り込みませんでした"):
        call_command("import_resources", str(path))
    assert message in capsys.readouterr().err
    assert not Resource.objects.exists()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_wrong_encoding_and_missing_columns(tmp_path):
    path = write(tmp_path, csv_text(ROW_1).encode("euc_kr", errors="replace") + b"\xff\xfe\xfa")
    with pytest.raises(CommandError, match="文字コード"):
        call_command("import_resources", str(path))
    path = write(tmp_path, "整理番号,団体名\r\nR-1,株式会社A\r\n".encode())
    with pytest.raises(CommandError, match="必須の列"):
        call_command("import_resources", str(path))
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_export_round_trip_reimports_unchanged(tmp_path):
    source = write(tmp_path, csv_text(ROW_1, ROW_2).encode("cp932"))
    call_command("import_resources", str(source))
    # A value that starts like a formula is neutralised on export and restored on import.
    Resource.objects.filter(ref="R-002").update(conditions="- 面談のうえ決定")
    first = tmp_path / "export1.csv"
    call_command("export_resources", str(first))
    content = first.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfref,organization,org_type")
    assert "'- 面談のうえ決定".encode() in content
    before = list(Resource.objects.order_by("ref").values())
    call_command("import_resources", str(first))
    assert list(Resource.objects.order_by("ref").values_list("ref", "title", "conditions")) == [
        (b["ref"], b["title"], b["conditions"]) for b in before
    ]
    assert Organization.objects.count() == 2
    second = tmp_path / "export2.csv"
    call_command("export_resources", str(second))
    assert second.read_bytes() == content


@pytest.mark.django_db
def test_import_screen_preview_then_confirm(
    client, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    url = reverse("partners:import")
    upload = io.BytesIO(csv_text(ROW_1, ROW_2).encode("utf-8-sig"))
    upload.name = "resources.csv"
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    assert "誤りはありません" in response.content.decode()
    assert not Resource.objects.exists()  # preview writes nothing
    token = response.context["token"]
    # The confirmed import is a job; tasks run in-process once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"token": token})
    assert response.status_code == 302
    assert Resource.objects.count() == 2
    # A token is used once.
    response = client.post(url, {"token": token})
    assert Resource.objects.count() == 2


@pytest.mark.django_db
def test_import_screen_lists_row_errors(client, coordinator):
    client.force_login(coordinator)
    upload = io.BytesIO(csv_text(ROW_2, ROW_1.replace(",3,2026", ",-3,2026")).encode("cp932"))
    upload.name = "resources.csv"
    response = client.post(reverse("partners:import"), {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "3行目「受入可能件数」" in html and "何も登録していません" in html
    assert "token" not in response.context
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_imported_text_is_searchable(client, coordinator, tmp_path):
    call_command("import_resources", str(write(tmp_path, csv_text(ROW_1).encode())))
    client.force_login(coordinator)
    response = client.get(reverse("partners:registry"), {"q": "ｽﾏﾎ教室"})
    assert [o.name for o in response.context["rows"]] == ["株式会社みなとデジタルソリューションズ"]
    organization_search_refresh(organization_ids=[])  # no ids: nothing to do


@pytest.mark.django_db
def test_dry_run_and_missing_file(tmp_path, capsys):
    path = write(tmp_path, csv_text(ROW_1, ROW_2).encode())
    call_command("import_resources", str(path), "--dry-run")
    assert "2行に誤りはありません" in capsys.readouterr().out
    assert not Resource.objects.exists()
    with pytest.raises(CommandError, match="読み込めません"):
        call_command("import_resources", str(tmp_path / "none.csv"))


@pytest.mark.django_db
def test_import_screen_refuses_a_non_spreadsheet(client, coordinator):
    client.force_login(coordinator)
    upload = io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    upload.name = "photo.csv"
    response = client.post(reverse("partners:import"), {"file": upload})
    assert response.status_code == 400
    assert "CSVまたはExcel" in response.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_row_errors_name_the_row_the_person_sees_and_the_files_header(tmp_path, capsys):
    # An empty line and a line of empty cells before the bad row: it is row 5 in Excel.
    empty = "," * HEADER_JA.count(",")
    text = csv_text(ROW_2, "", empty, ROW_1.replace(",企業,", ",宇宙企業,"))
    with pytest.raises(CommandError):
        call_command("import_resources", str(write(tmp_path, text.encode())))
    assert "5行目「種別」: 種別「宇宙企業」は使えません" in capsys.readouterr().err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            # Issue #15 probe: attached to the company holding that 法人番号, no warning.
            ROW_1.replace("株式会社みなとデジタルソリューションズ,企業", "全く別の団体名,企業"),
            "2行目「法人番号」: 法人番号 1180301018771 は「株式会社みなとデジタルソリューションズ」"
            "（登録済みの団体）のものです。団体名「全く別の団体名」と一致しません。",
        ),
        (
            ROW_1.replace(",企業,", ",大学,"),
            "2行目「種別」: 「株式会社みなとデジタルソリューションズ」（登録済みの団体）の種別は"
            "「企業」です。この行の種別「大学」と一致しません。",
        ),
        (
            ROW_1.replace("1180301018771", "7010001008844"),
            "2行目「法人番号」: 「株式会社みなとデジタルソリューションズ」（登録済みの団体）の"
            "法人番号は 1180301018771 です。この行の法人番号 7010001008844 と一致しません。",
        ),
    ],
)
def test_a_row_whose_organisation_contradicts_the_registered_one_is_refused(
    tmp_path, capsys, row, expected
):
    org = OrganizationFactory(
        name="株式会社みなとデジタルソリューションズ", corporate_number="1180301018771"
    )
    with pytest.raises(CommandError):
        call_command("import_resources", str(write(tmp_path, csv_text(row).encode())))
    assert expected in capsys.readouterr().err
    assert Resource.objects.count() == 0
    org.refresh_from_db()
    assert org.name == "株式会社みなとデジタルソリューションズ"


@pytest.mark.django_db
def test_two_rows_of_one_file_giving_one_number_two_names_are_refused(tmp_path, capsys):
    second = ROW_1.replace("R-001", "R-009").replace(
        "株式会社みなとデジタルソリューションズ", "別の会社"
    )
    with pytest.raises(CommandError):
        call_command("import_resources", str(write(tmp_path, csv_text(ROW_1, second).encode())))
    assert (
        "3行目「法人番号」: 法人番号 1180301018771 は「株式会社みなとデジタルソリューションズ」"
        "（2行目）のものです。" in capsys.readouterr().err
    )
    assert Organization.objects.count() == 0


@pytest.mark.django_db
def test_a_row_that_would_move_a_resource_to_another_organisation_is_refused(
    client, coordinator, tmp_path
):
    """Issue #15, fifth probe: ref R-001 with 城南工業大学 previewed 「誤りはありません」 and
    moved 株式会社みなとデジタルソリューションズ's resource to the university."""
    call_command("import_resources", str(write(tmp_path, csv_text(ROW_1).encode())))
    owner = Resource.objects.get(ref="R-001").organization
    OrganizationFactory(name="城南工業大学", org_type="university")
    moved = ROW_2.replace("R-002", "R-001")
    client.force_login(coordinator)
    upload = io.BytesIO(xlsx_bytes(csv_text(moved).replace("団体名", "組織名")))
    upload.name = "resources.xlsx"
    response = client.post(reverse("partners:import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "2行目「組織名」: 整理番号「R-001」は「株式会社みなとデジタルソリューションズ」の"
        "リソースです。取り込みで団体を「城南工業大学」に変えることはできません。" in html
    )
    assert "token" not in response.context
    assert Resource.objects.get(ref="R-001").organization == owner
    # The same resource under its own organisation (in any spelling) is still an update.
    call_command(
        "import_resources",
        str(write(tmp_path, csv_text(ROW_1.replace("株式会社", "（株）")).encode())),
    )
    assert Resource.objects.get(ref="R-001").organization == owner
