"""Files attached to messages: judged by content (not by name), size-limited, kept out of reach.

A person may attach PDFs, images (PNG, JPEG, GIF, WebP) and Office documents (Word, Excel,
PowerPoint, in the current and the old binary formats). The name's extension says what the file
claims to be; its first bytes (and, for Office Open XML, the parts listed in the zip) say what
it is. A file whose content does not match its name — a renamed executable, an HTML page
called .pdf, a Word file called .xlsx — is refused with a message that says so, and so is an
Office file that carries macros (vbaProject.bin / _VBA_PROJECT), since the other side opens it.

Stored files live under settings.PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT, under random names; the
storage has no URL, so a file reaches a browser only through a view that checks permission
(matching.conversations.views.attachment_download).
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext_lazy as _

from portal.cleantext import control_character_find, control_characters_remove

MAX_FILES = 5
NAME_MAX_CHARS = 200
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileKind:
    """What an extension promises: the MIME type it is served as and how to recognise it."""

    content_type: str
    magic: tuple[bytes, ...] = ()
    zip_part: str = ""  # Office Open XML: the part that makes the zip this kind of document
    ole_stream: str = ""  # old binary Office: a stream name the compound file must hold


OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", magic=(b"%PDF-",)),
    "png": FileKind("image/png", magic=(b"\x89PNG\r\n\x1a\n",)),
    "jpg": FileKind("image/jpeg", magic=(b"\xff\xd8\xff",)),
    "jpeg": FileKind("image/jpeg", magic=(b"\xff\xd8\xff",)),
    "gif": FileKind("image/gif", magic=(b"GIF87a", b"GIF89a")),
    "webp": FileKind("image/webp", magic=(b"RIFF",)),
    "docx": FileKind(OOXML + "wordprocessingml.document", zip_part="word/document.xml"),
    "xlsx": FileKind(OOXML + "spreadsheetml.sheet", zip_part="xl/workbook.xml"),
    "pptx": FileKind(OOXML + "presentationml.presentation", zip_part="ppt/presentation.xml"),
    "doc": FileKind("application/msword", ole_stream="WordDocument"),
    "xls": FileKind("application/vnd.ms-excel", ole_stream="Workbook"),
    "ppt": FileKind("application/vnd.ms-powerpoint", ole_stream="PowerPoint Document"),
}
ALLOWED_MESSAGE = _(
    "添付できるのはPDF、画像（PNG・JPEG・GIF・WebP）、Office文書（Word・Excel・PowerPoint）です。"
)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _matches(kind: FileKind, extension: str, data: bytes) -> bool:
    if kind.magic:
        if not data.startswith(kind.magic):
            return False
        return extension != "webp" or data[8:12] == b"WEBP"
    if kind.zip_part:
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            return False
        return {"[Content_Types].xml", kind.zip_part} <= names
    # Compound files keep their directory entries' names in UTF-16; the old Excel 5 name of
    # the workbook stream ("Book") is accepted as well.
    streams = [kind.ole_stream] + (["Book"] if extension == "xls" else [])
    return data.startswith(OLE2_MAGIC) and any(_utf16(s) in data for s in streams)


def _has_macros(data: bytes) -> bool:
    if data.startswith(OLE2_MAGIC):
        return _utf16("_VBA_PROJECT") in data
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError):
        return False
    return any(PurePath(name).name.lower() == "vbaproject.bin" for name in names)


def attachment_name(name: str) -> str:
    """The name a file is shown and downloaded under: no folders, no control characters."""
    base = PurePath(str(name).replace("\\", "/")).name
    base = control_characters_remove(base).strip()
    if len(base) > NAME_MAX_CHARS:
        stem, dot, extension = base.rpartition(".")
        base = (stem[: NAME_MAX_CHARS - len(extension) - 1] + dot + extension) if dot else base
    return base[:NAME_MAX_CHARS] or "file"


def _name_broken(name: str) -> bool:
    """A file name no browser sends as it is: a control character or line break, a double
    quote, or a browser's escape of a line break (%0D, %0A). A raw line break inside the
    request's file name header splits it, and the server receives only its start (「"a」 of
    「a\\r\\nX-Evil: 1.pdf」), with no extension: such a name is refused as a name, not as the
    wrong kind of file (issue #15, fifth probe)."""
    upper = name.upper()
    marks = ('"', "\r", "\n", "%0D", "%0A")
    return bool(control_character_find(name)) or any(mark in upper for mark in marks)


def attachment_problem(name: str, data: bytes) -> str | None:
    """Why this file may not be attached (None when it may): a message for the sender."""
    if _name_broken(name):
        return str(
            _(
                '添付ファイルの名前「%(name)s」に改行・制御文字・引用符（"）のような使えない文字が含まれているか、名前が正しく届いていません。ファイル名を変えてから添付し直してください。'
            )
        ) % {"name": attachment_name(name)}
    extension = PurePath(name).suffix.lower().lstrip(".")
    kind = KINDS.get(extension)
    if kind is None:
        return str(ALLOWED_MESSAGE)
    if not data:
        return str(_("「%(name)s」は空のファイルです。")) % {"name": name}
    if not _matches(kind, extension, data):
        return str(
            _(
                "「%(name)s」は名前（.%(ext)s）と中身が一致しません。"
                "別の種類のファイルの名前を変えたものか、壊れたファイルです。"
            )
        ) % {"name": name, "ext": extension}
    if (kind.zip_part or kind.ole_stream) and _has_macros(data):
        return str(
            _(
                "「%(name)s」はマクロを含むため添付できません。"
                "マクロなしの形式（.docx・.xlsx・.pptx）で保存し直してください。"
            )
        ) % {"name": name}
    return None


def attachment_content_type(name: str) -> str:
    """The MIME type a checked file is served as (from KINDS, never from the browser)."""
    return KINDS[PurePath(name).suffix.lower().lstrip(".")].content_type


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero to MAX_FILES files, each checked by attachment_problem and limited to `max_bytes`
    (default settings.ATTACHMENT_MAX_BYTES).

    Cleans to a list of uploaded files whose `name` is already the cleaned display name.
    """

    widget = _MultipleFileInput

    def __init__(self, *, max_bytes: int | None = None, **kwargs: Any) -> None:
        self._max_bytes = max_bytes
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ",".join(f".{ext}" for ext in KINDS))

    @property
    def max_bytes(self) -> int:
        """The limit given, else settings.ATTACHMENT_MAX_BYTES as it is now."""
        return self._max_bytes or settings.ATTACHMENT_MAX_BYTES

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                _("添付できるファイルは%(n)s個までです。"), params={"n": MAX_FILES}, code="count"
            )
        errors = []
        for upload in uploads:
            upload.name = attachment_name(upload.name)
            if upload.size > self.max_bytes:
                errors.append(
                    forms.ValidationError(
                        _("「%(name)s」が大きすぎます（上限 %(mb)s MB）。"),
                        params={"name": upload.name, "mb": f"{self.max_bytes / 1024 / 1024:g}"},
                        code="too_large",
                    )
                )
                continue
            upload.seek(0)
            problem = attachment_problem(upload.name, upload.read())
            upload.seek(0)
            if problem:
                errors.append(forms.ValidationError(problem, code="content"))
        if errors:
            raise forms.ValidationError(errors)
        return uploads


class PrivateFileStorage(FileSystemStorage):
    """Files under settings.PRIVATE_MEDIA_ROOT (read when used, so tests can move it) that no
    URL serves: `url()` refuses, and only a permission-checked view streams them."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no URL; serve them through a permission check")


def private_storage() -> PrivateFileStorage:
    return PrivateFileStorage()


def attachment_upload_to(_instance: object, _filename: str) -> str:
    # A random name: the stored path neither reveals nor lets anyone guess another file.
    return f"attachments/{uuid.uuid4().hex}"
