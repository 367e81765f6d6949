"""Message attachments are judged by content, not by name (portal.attachments)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, encode_multipart

from portal.attachments import (
    MAX_FILES,
    AttachmentsField,
    PrivateFileStorage,
    attachment_content_type,
    attachment_name,
    attachment_problem,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0" + b"\0" * 16
GIF = b"GIF89a" + b"\0" * 16
WEBP = b"RIFF\x24\0\0\0WEBPVP8 " + b"\0" * 16
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ooxml(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in ("[Content_Types].xml", *parts):
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


def ole(stream: str) -> bytes:
    return OLE2 + b"\0" * 56 + stream.encode("utf-16-le") + b"\0" * 32


GOOD = {
    "計画書.pdf": PDF,
    "写真.PNG": PNG,
    "現地.jpg": JPEG,
    "現地.jpeg": JPEG,
    "図.gif": GIF,
    "図.webp": WEBP,
    "提案書.docx": ooxml("word/document.xml"),
    "費用.xlsx": ooxml("xl/workbook.xml"),
    "説明.pptx": ooxml("ppt/presentation.xml"),
    "旧形式.doc": ole("WordDocument"),
    "旧形式.xls": ole("Workbook"),
    "旧形式.ppt": ole("PowerPoint Document"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_files_that_are_what_their_name_says_are_accepted(name):
    assert attachment_problem(name, GOOD[name]) is None
    assert attachment_content_type(name)


BAD = {
    "executable renamed .pdf": (
        "請求書.pdf",
        b"MZ\x90\0\x03\0\0\0",
        "名前（.pdf）と中身が一致しません",
    ),
    "html renamed .png": ("写真.png", b"<html><script>alert(1)</script>", "一致しません"),
    "word renamed .xlsx": ("費用.xlsx", ooxml("word/document.xml"), "一致しません"),
    "plain zip renamed .docx": ("提案書.docx", ooxml("evil.sh"), "一致しません"),
    "msi renamed .doc": ("旧形式.doc", ole("SummaryInformation"), "一致しません"),
    "pdf renamed .jpg": ("写真.jpg", PDF, "一致しません"),
    "webp header without WEBP": ("図.webp", b"RIFF\0\0\0\0WAVEfmt ", "一致しません"),
    "macro in a docx": (
        "提案書.docx",
        ooxml("word/document.xml", "word/vbaProject.bin"),
        "マクロを含むため",
    ),
    "macro in an old xls": ("費用.xls", ole("Workbook") + ole("_VBA_PROJECT"), "マクロ"),
    "svg (may carry script)": ("図.svg", b"<svg/>", "添付できるのはPDF"),
    "html": ("page.html", b"<html>", "添付できるのはPDF"),
    "no extension": ("README", PDF, "添付できるのはPDF"),
    "macro-enabled name": ("提案書.docm", ooxml("word/document.xml"), "添付できるのはPDF"),
    "empty pdf": ("空.pdf", b"", "空のファイル"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_files_that_are_not_what_their_name_says_are_refused_with_a_clear_message(case):
    name, data, message = BAD[case]
    problem = attachment_problem(name, data)
    assert problem is not None and message in problem


def test_names_lose_folders_and_control_characters_and_stay_short():
    assert attachment_name("C:\\Users\\me\\計画書.pdf") == "計画書.pdf"
    assert attachment_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert attachment_name("a\x07b.pdf") == "ab.pdf"
    long = attachment_name("長" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_the_field_limits_size_and_number_and_reports_every_bad_file():
    field = AttachmentsField(max_bytes=1024 * 1024)
    assert field.clean([]) == []
    ok = SimpleUploadedFile("計画書.pdf", PDF)
    assert field.clean([ok]) == [ok]
    big = SimpleUploadedFile("大きい.pdf", PDF + b"\0" * 1024 * 1024)
    fake = SimpleUploadedFile("写真.png", b"MZ")
    with pytest.raises(Exception) as refused:
        field.clean([big, fake])
    text = " ".join(refused.value.messages)
    assert "「大きい.pdf」が大きすぎます（上限 1 MB）" in text and "写真.png" in text
    with pytest.raises(Exception) as too_many:
        field.clean([SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(MAX_FILES + 1)])
    assert f"{MAX_FILES}個まで" in " ".join(too_many.value.messages)


def test_private_files_live_outside_media_and_have_no_url(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    storage = PrivateFileStorage()
    name = storage.save("attachments/x", io.BytesIO(PDF))
    assert (tmp_path / "private" / name).read_bytes() == PDF
    assert not str(tmp_path / "private").startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        storage.url(name)


@pytest.mark.parametrize(
    "name",
    ["a\r\nX-Evil: 1.pdf", '"a', "a%0D%0AX-Evil: 1.pdf", "報告\x01書.pdf", "報告\u202egpj.pdf"],
)
def test_a_name_with_a_line_break_or_control_character_is_refused_as_a_name(name):
    problem = attachment_problem(name, PDF)
    assert problem is not None and "名前が正しく届いていません" in problem
    assert "添付できるのはPDF" not in problem


def test_a_raw_line_break_in_the_sent_file_name_is_refused_as_a_name():
    # What the server receives: the header line ends at the line break, leaving 「"a」.
    body = encode_multipart(BOUNDARY, {"f": SimpleUploadedFile("a\r\nX-Evil: 1.pdf", PDF)})
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(len(body)),
    }
    handlers = [MemoryFileUploadHandler()]
    _data, files = MultiPartParser(meta, io.BytesIO(body), handlers, "utf-8").parse()
    problem = attachment_problem(files["f"].name, PDF)
    assert problem is not None and "名前が正しく届いていません" in problem
