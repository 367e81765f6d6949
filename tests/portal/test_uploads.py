"""Every upload screen judges a file by its content and size, and changes nothing when it refuses.

The three screens (issue import, resource import, measurement upload) share one field
(portal.uploads.SpreadsheetFileField); a previewed import waits under a random name that no URL
serves, bound to the session that uploaded it.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.test import Client
from django.urls import reverse

from evaluation.models import Measurement
from issues.models import Issue
from partners.models import Resource
from tests.evaluation.factories import IndicatorFactory
from tests.portal.factories import UserFactory

CSV_ISSUES = "ref,title,description,ward,category\r\nU-1,題,内容,千代田区,高齢者支援\r\n"


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


BAD_FILES = {
    "pdf renamed .csv": (
        "list.csv",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        "PDFは読み込めません",
    ),
    "old binary .xls": ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xls"),
    "png renamed .xlsx": ("list.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "CSVまたはExcel"),
    "word file renamed .xlsx": (
        "list.xlsx",
        _zip(["[Content_Types].xml", "word/document.xml"]),
        "CSVまたはExcel",
    ),
    "utf-16 csv": ("list.csv", CSV_ISSUES.encode("utf-16"), "CSVまたはExcel"),
    "euc-jp csv": ("list.csv", "見出し,課題\r\n".encode("euc_jp"), "文字コード"),
}


def _upload(name: str, data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@pytest.fixture
def project(db):
    from tests.matching.factories import ProjectFactory

    project = ProjectFactory()
    IndicatorFactory(project=project, name="訪問件数")
    return project


SCREENS = ["issues:import", "partners:import", "evaluation:measurement_upload"]


def _post(client, screen: str, project, upload):
    if screen == "evaluation:measurement_upload":
        url = reverse(screen, args=[project.pk])
    else:
        url = reverse(screen)
    return client.post(url, {"file": upload}, follow=True)


def _rows_written() -> int:
    return Issue.objects.count() + Resource.objects.count() + Measurement.objects.count()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_reason(
    client, admin_user, project, screen, case
):
    name, data, reason = BAD_FILES[case]
    client.force_login(admin_user)
    before = _rows_written()

    response = _post(client, screen, project, _upload(name, data))

    assert reason in response.content.decode()
    assert _rows_written() == before


@pytest.mark.parametrize(
    ("screen", "limit_mb"),
    [("issues:import", 10), ("partners:import", 10), ("evaluation:measurement_upload", 2)],
)
def test_a_file_over_the_size_limit_is_refused(client, admin_user, project, screen, limit_mb):
    client.force_login(admin_user)
    too_big = CSV_ISSUES.encode() + b"x" * (limit_mb * 1024 * 1024)

    response = _post(client, screen, project, _upload("big.csv", too_big))

    assert f"上限 {limit_mb} MB" in response.content.decode()
    assert _rows_written() == 0


def test_a_real_xlsx_and_a_cp932_csv_are_accepted(client, coordinator):
    client.force_login(coordinator)
    book = tablib.Dataset(["U-1", "題", "内容", "千代田区", "高齢者支援"])
    book.headers = ["ref", "title", "description", "ward", "category"]
    for name, data in [("a.xlsx", book.export("xlsx")), ("a.csv", CSV_ISSUES.encode("cp932"))]:
        response = client.post(reverse("issues:import"), {"file": _upload(name, data)})
        assert response.status_code == 200, name
        assert response.context["token"]


def test_a_previewed_import_waits_under_a_random_name_no_url_serves(
    client, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:import"), {"file": _upload("a.csv", CSV_ISSUES.encode())}
    )
    token = response.context["token"]
    stored = Path(settings.MEDIA_ROOT) / "imports" / token
    assert re.fullmatch(r"[0-9a-f]{32}", token) and stored.exists()
    for url in (f"/media/imports/{token}", f"/imports/{token}", f"/static/imports/{token}"):
        assert client.get(url).status_code == 404

    # Another person's session cannot confirm it, and nothing is written.
    other = Client()
    other.force_login(UserFactory(role="coordinator"))
    other.post(reverse("issues:import"), {"token": token})
    assert Issue.objects.count() == 0 and stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:import"), {"token": token})
    assert Issue.objects.filter(ref="U-1").exists() and not stored.exists()


@pytest.mark.parametrize("case", ["pdf renamed .csv", "word file renamed .xlsx", "utf-16 csv"])
def test_the_import_commands_judge_a_file_as_the_screens_do(db, tmp_path, case):
    from django.core.management import CommandError, call_command

    name, data, reason = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(data)

    with pytest.raises(CommandError, match=reason):
        call_command("import_issues", str(path))
    assert Issue.objects.count() == 0
