"""Writes of the notice settings."""

from __future__ import annotations

from portal.models import NoticeKind, User


def mail_kinds_set(*, user: User, mailed: list[str], language: str | None = None) -> User:
    """`user` takes exactly the NoticeKind values in `mailed` by mail (unknown values ignored)
    and, when `language` is given (a LANGUAGES code, or "" for the portal's), reads mails and
    notices in it whoever sends them (portal.mail.language_for)."""
    user.mail_muted = [kind for kind in NoticeKind.values if kind not in set(mailed)]
    fields = ["mail_muted"]
    if language is not None:
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)
    return user
