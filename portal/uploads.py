"""Uploads: checked by content (not by name), size-limited, kept out of reach.

Documents attached to a record (a project's plan, agreement, minutes, photos) pass
DocumentFileField: PDF, PNG, JPEG, Office Open XML (Word, Excel, PowerPoint) and plain text or
CSV, each recognised by its bytes, with a name whose extension says the same; anything else is
refused with the list of what is accepted. Such files are served only through a view that checks
the permission of the record they belong to (no URL serves MEDIA_ROOT).

Spreadsheet uploads:

Every upload screen (issue import, resource import, measurement upload) uses the same field,
and the field asks the spreadsheet reader (portal.tabular) what it would refuse, so a file is
judged the same way on every screen and by the import commands: an .xlsx must really be an
Office Open XML workbook, a CSV must be text in an encoding we read, and anything else (a
renamed PDF, image, executable or the old binary .xls) is refused with a message that says
what to do.

An import previewed before it is confirmed keeps its bytes in MEDIA_ROOT/imports under a
random 128-bit name bound to the session that uploaded it: no URL serves that directory and the
name cannot be guessed. A session holds at most one waiting file per kind of import (a new
preview replaces the previous one's file). A large upload is checked by a preview job
(portal.imports) that reads the waiting file in place and removes it when the check fails;
confirming hands the file to an import job
(portal.imports), which removes it when it ends; cancelling removes it, and files nobody came
back for are swept (on each new preview and by the hourly beat task
portal.tasks.pending_imports_sweep).
"""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.tabular import XLSX_MAGIC, TabularError, content_problem, csv_decode

# Longer than any sitting at the preview (the session itself ends after 30 idle minutes).
PENDING_MAX_AGE_SECONDS = 2 * 3600


class CheckedFileField(forms.FileField):
    """A file upload with a size limit whose bytes ``check`` judges (a subclass says how)."""

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
        content = upload.read()
        upload.seek(0)
        self.check(upload, content)
        return upload

    def check(self, upload, content: bytes) -> None:
        """Raise forms.ValidationError when ``content`` is not what this field accepts."""
        raise NotImplementedError


class SpreadsheetFileField(CheckedFileField):
    def check(self, upload, content: bytes) -> None:
        problem = content_problem(content)
        if problem:
            raise forms.ValidationError(problem, code="content")
        if not content.startswith(XLSX_MAGIC):
            try:
                csv_decode(content)
            except TabularError as exc:
                raise forms.ValidationError(str(exc), code="encoding") from exc


# Document kinds recognised by content: extension → (content type, test of the bytes).
OOXML_PARTS = {
    ".docx": "word/document.xml",
    ".xlsx": "xl/workbook.xml",
    ".pptx": "ppt/presentation.xml",
}
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
}


def document_kind(name: str, data: bytes) -> str | None:
    """The content type of a document whose bytes are what its extension says, else None."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        ok = data.startswith(b"%PDF-")
    elif suffix == ".png":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif suffix in {".jpg", ".jpeg"}:
        ok = data.startswith(b"\xff\xd8\xff")
    elif suffix in OOXML_PARTS:
        ok = data.startswith(XLSX_MAGIC) and _zip_has(
            data, {"[Content_Types].xml", OOXML_PARTS[suffix]}
        )
    elif suffix in {".txt", ".csv"}:
        ok = b"\x00" not in data and _is_text(data)
    else:
        ok = False
    return DOCUMENT_TYPES[suffix] if ok else None


def _zip_has(data: bytes, names: set[str]) -> bool:
    try:
        return names <= set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return False


def _is_text(data: bytes) -> bool:
    try:
        csv_decode(data)
    except TabularError:
        return False
    return True


class DocumentFileField(CheckedFileField):
    """A document upload judged by its bytes; the cleaned file carries ``content_type_checked``."""

    def check(self, upload, content: bytes) -> None:
        kind = document_kind(upload.name or "", content)
        if kind is None:
            raise forms.ValidationError(
                _(
                    "この形式のファイルは登録できないか、ファイルの中身が拡張子と一致しません。"
                    "PDF、画像（PNG・JPEG）、Word・Excel・PowerPoint（.docx・.xlsx・.pptx）、"
                    "テキスト・CSV を選んでください。"
                ),
                code="content",
            )
        upload.content_type_checked = kind


def _pending_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _session_key(kind: str) -> str:
    return f"pending-import:{kind}"


def pending_imports_sweep(*, max_age: int = PENDING_MAX_AGE_SECONDS) -> int:
    """Remove previewed files older than ``max_age`` seconds; returns how many went."""
    cutoff = time.time() - max_age
    removed = 0
    for stale in _pending_dir().iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
            removed += 1
    return removed


def _pending_path(token: object) -> Path | None:
    name = str(token or "")
    # Only names this module made (32 hex digits): a session value never reaches outside.
    if len(name) != 32 or any(ch not in "0123456789abcdef" for ch in name):
        return None
    return _pending_dir() / name


def import_pending_discard(*, request: HttpRequest, kind: str) -> bool:
    """Forget this session's waiting file of ``kind`` (cancel, or a new preview replacing it)."""
    path = _pending_path(request.session.pop(_session_key(kind), None))
    if path is None or not path.exists():
        return False
    path.unlink(missing_ok=True)
    return True


def import_pending_store(*, request: HttpRequest, kind: str, data: bytes) -> str:
    """Keep a previewed upload until it is confirmed; returns the token the form carries."""
    pending_imports_sweep()
    import_pending_discard(request=request, kind=kind)
    token = secrets.token_hex(16)
    (_pending_dir() / token).write_bytes(data)
    request.session[_session_key(kind)] = token
    return token


def import_pending_token(*, request: HttpRequest, kind: str) -> str | None:
    """This session's waiting file of ``kind`` (its token), None when there is none any more."""
    path = _pending_path(request.session.get(_session_key(kind)))
    return path.name if path is not None and path.exists() else None


def import_pending_read(name: str) -> bytes | None:
    """The bytes of a waiting file (a preview job checks them), None when it is gone."""
    path = _pending_path(name)
    try:
        return path.read_bytes() if path is not None else None
    except OSError:
        return None


def import_pending_delete(name: str) -> None:
    """Remove a waiting file whose check failed (there is nothing to confirm)."""
    path = _pending_path(name)
    if path is not None:
        path.unlink(missing_ok=True)


def _job_dir() -> Path:
    # A subdirectory: the preview sweep looks at files directly in imports/ only, so a job
    # waiting long in the queue keeps its file.
    path = _pending_dir() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_pending_claim(*, request: HttpRequest, kind: str, token: str) -> str | None:
    """Hand this session's waiting file over to an import job (once); returns its file name,
    or None if the token is unknown or the file expired."""
    expected = request.session.get(_session_key(kind))
    if not expected or not secrets.compare_digest(str(expected), str(token)):
        return None
    path = _pending_path(expected)
    if path is None or not path.exists():
        return None
    name = str(expected)
    path.replace(_job_dir() / name)
    request.session.pop(_session_key(kind), None)
    return name


def import_job_file_store(data: bytes) -> str:
    """Keep an upload for an import job that has no preview step; returns its file name."""
    name = secrets.token_hex(16)
    (_job_dir() / name).write_bytes(data)
    return name


def import_job_file_read(name: str) -> bytes | None:
    path = _pending_path(name)
    if path is None:
        return None
    try:
        return (_job_dir() / name).read_bytes()
    except OSError:
        return None


def import_job_file_delete(name: str) -> None:
    if _pending_path(name) is not None:
        (_job_dir() / name).unlink(missing_ok=True)
