"""Writes of the notice settings."""

from __future__ import annotations

from portal.models import NoticeKind, User


def mail_kinds_set(*, user: User, mailed: list[str]) -> User:
    """`user` takes exactly the NoticeKind values in `mailed` by mail (unknown values ignored)."""
    user.mail_muted = [kind for kind in NoticeKind.values if kind not in set(mailed)]
    user.save(update_fields=["mail_muted"])
    return user
