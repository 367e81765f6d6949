"""Spreadsheet uploads: checked by content (not by name), size-limited, kept out of reach.

Every upload screen (issue import, resource import, measurement upload) uses the same field,
so a file is judged the same way everywhere: an .xlsx must really be an Office Open XML
workbook, a CSV must be text in an encoding we read, and anything else (a renamed PDF, image,
executable or the old binary .xls) is refused with a message that says what to do.

An import previewed before it is confirmed keeps its bytes in MEDIA_ROOT/imports under a
random 128-bit name bound to the session that uploaded it: no URL serves that directory and the
name cannot be guessed, and the file is removed when the import is confirmed (or after a day).
"""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.tabular import CSV_ENCODINGS, XLSX_MAGIC

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Signatures of files people pick by mistake, with what to tell them.
_REFUSED_SIGNATURES: list[tuple[bytes, StrOrPromise]] = [
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        _("古いExcel形式（.xls）は読み込めません。.xlsx またはCSVで保存し直してください。"),
    ),
    (b"%PDF", _("PDFは読み込めません。CSVまたはExcel（.xlsx）ファイルを選んでください。")),
]
_NOT_A_SPREADSHEET = _("CSVまたはExcel（.xlsx）ファイルを選んでください。")
PENDING_MAX_AGE_SECONDS = 24 * 3600


def spreadsheet_problem(data: bytes) -> str | None:
    """Why these bytes are not a CSV or .xlsx we can read (None when they are)."""
    for signature, message in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            return str(message)
    if data.startswith(XLSX_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return str(_NOT_A_SPREADSHEET)
        if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            return str(_NOT_A_SPREADSHEET)  # a .docx, .pptx or plain zip renamed
        return None
    if b"\x00" in data:
        return str(_NOT_A_SPREADSHEET)  # images, executables, UTF-16 text
    for encoding in CSV_ENCODINGS:
        try:
            data.decode(encoding)
            return None
        except UnicodeDecodeError:
            continue
    return str(
        _(
            "文字コードを判別できませんでした。UTF-8 または Shift_JIS（CP932）のCSVで保存してください。"
        )
    )


class SpreadsheetFileField(forms.FileField):
    def __init__(self, *, max_bytes: int, **kwargs) -> None:
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（上限 %(mb)s MB）。"),
                params={"mb": f"{self.max_bytes / (1024 * 1024):g}"},
                code="too_large",
            )
        upload.seek(0)
        problem = spreadsheet_problem(upload.read())
        upload.seek(0)
        if problem:
            raise forms.ValidationError(problem, code="content")
        return upload


def _pending_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _session_key(kind: str) -> str:
    return f"pending-import:{kind}"


def import_pending_store(*, request: HttpRequest, kind: str, data: bytes) -> str:
    """Keep a previewed upload until it is confirmed; returns the token the form carries."""
    directory = _pending_dir()
    cutoff = time.time() - PENDING_MAX_AGE_SECONDS
    for stale in directory.iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (directory / token).write_bytes(data)
    request.session[_session_key(kind)] = token
    return token


def import_pending_take(*, request: HttpRequest, kind: str, token: str) -> bytes | None:
    """The bytes stored for this session's token (once), or None if unknown or expired."""
    expected = request.session.get(_session_key(kind))
    if not expected or not secrets.compare_digest(str(expected), str(token)):
        return None
    path = _pending_dir() / expected
    try:
        data = path.read_bytes()
    except OSError:
        return None
    path.unlink(missing_ok=True)
    request.session.pop(_session_key(kind), None)
    return data
