"""Outgoing mail, sent only after the transaction that decided it commits.

A mail is a side effect: a rolled-back decision must not have mailed anyone, and a slow or
failing mail server must neither hold row locks nor undo the action. `mail_send` therefore
queues the delivery with `task_enqueue` (after commit; a Celery task when a broker is
configured, in this process otherwise), and the task retries with backoff and logs what it
could not deliver.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _lazy

if TYPE_CHECKING:
    from portal.localtext import LocalText
    from portal.models import User


# The MailLog column; a subject longer than this is unreadable in any mail client anyway.
SUBJECT_MAX = 200


def header_text(text: str, *, limit: int = SUBJECT_MAX) -> str:
    """Text fit for a mail header: one line (CR/LF/tabs folded to spaces), at most `limit` chars.

    A line break in a subject makes Django refuse the whole message (BadHeaderError), so any
    text a person typed (a reason, a name) is folded before it goes into a header. Length alone
    is no reason to cut: the mail library folds a long header over several lines (RFC 5322
    section 2.2.3), and the reader's client shows it whole. Text longer than `limit` is
    shortened visibly ("…"), never inside a word: English backs off to the last space, while
    Japanese (no spaces between words) may end after any character.
    """
    one_line = " ".join(str(text).split())
    if len(one_line) <= limit:
        return one_line
    cut = one_line[: limit - 1]
    if _spaced(cut[-1]) and _spaced(one_line[limit - 1]) and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _spaced(character: str) -> bool:
    """A character of a script that separates words with spaces (Latin letters, digits…), as
    opposed to a wide (East Asian) one or a space itself."""
    return not character.isspace() and unicodedata.east_asian_width(character) not in {"W", "F"}


def absolute_url(path: str) -> str:
    """`path` (a site path such as "/matching/partner/proposals/9/") as an absolute URL.

    Built from settings.SITE_URL, never from a request: mails are written by tasks, and a link
    a person reads in a mail client must open the portal, not a relative path.
    """
    from django.conf import settings

    return f"{settings.SITE_URL}/{path.lstrip('/')}"


def language_for(user: User | None) -> str:
    """The language a mail or notice to `user` is written in: the person's own (User.language),
    else the portal's (LANGUAGE_CODE, 'ja'); a contact without an account (None) gets the
    portal's. Never the language of the request that caused it: a coordinator reading the
    English UI writes to a Japanese partner in Japanese."""
    return language_or_default(getattr(user, "language", "") or "")


def language_or_default(language: str) -> str:
    """`language` when the portal speaks it (settings.LANGUAGES), else LANGUAGE_CODE."""
    from django.conf import settings

    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def later(message: str | Promise, **values: Any) -> Promise:
    """`message` (a gettext_lazy msgid with %(name)s placeholders) filled with `values`, but
    translated only when read: str() of it inside translation.override(language_for(person))
    gives that person's language. Lazy values (a choice's label) are read then too."""

    def text() -> str:
        return str(message) % {name: str(value) for name, value in values.items()}

    return cast(Promise, lazy(text, str)())


def mail_render(template: str, context: dict[str, Any], *, language: str) -> tuple[str, str]:
    """The plain-text and HTML parts of a mail: `template`.txt and `template`.html rendered
    with `context` in `language` (see language_for); lazy texts in `context` are read in it.

    The .txt templates turn autoescaping off themselves (a plain-text mail shows `&`, not
    `&amp;`); links in `context` must already be absolute (`absolute_url`).
    """
    from django.template.loader import render_to_string

    with translation.override(language):
        return (
            render_to_string(f"{template}.txt", context),
            render_to_string(f"{template}.html", context),
        )


SUBJECT_PREFIX = _lazy("[地域連携マッチング] %(subject)s")


def mail_template_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    subject: str | Promise | LocalText,
    kind: str = "general",
    recipient: User | None = None,
    language: str | None = None,
) -> None:
    """Render `template` (.txt and .html, extending portal/mail/_layout: the greeting to
    `context["name"]` and the portal's footer) for one address and queue it with the portal's
    subject prefix. Every mail the portal writes goes through here (or booking_mail_send,
    which comes here too).

    Written in `language`, else the recipient's (language_for: a contact without an account
    gets the portal's); `subject` and lazy texts in `context` (gettext_lazy, `later`, a
    LocalText) are read in it. `context` gets `settings_link` (where a person changes which
    notices come by mail) unless it has one."""
    from django.urls import reverse

    language = language or language_for(recipient)
    context = {"settings_link": absolute_url(reverse("portal:notice_settings")), **context}
    text, html = mail_render(template, context, language=language)
    with translation.override(language):
        subject_line = str(SUBJECT_PREFIX) % {"subject": str(subject)}
    mail_send(to=[to], subject=subject_line, body=text, html=html, kind=kind, recipient=recipient)


def mail_send(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    kind: str = "general",
    recipient: User | None = None,
    attachments: list[tuple[str, str, str]] | None = None,
) -> None:
    """Queue one message per address in `to` after commit; empty `to` sends nothing.

    Each address gets its own message (recipients never see each other's addresses) and its own
    MailLog row, written in the caller's transaction as 送信待ち and settled by the delivery
    task (送信済み / 送信失敗). `html` adds an HTML alternative to the plain-text `body`; `kind`
    (a NoticeKind value) and `recipient` (the portal user, when there is one) are recorded in
    the log for staff. `attachments`: (filename, text, mimetype) each, e.g. a booking's .ics;
    text only, so the task's arguments stay JSON for the broker.
    """
    from portal import tasks
    from portal.models import MailLog
    from portal.services import task_enqueue

    subject = header_text(subject)
    files = [list(attachment) for attachment in attachments or []]
    for address in sorted({address for address in to if address}):
        log = MailLog.objects.create(to=address, recipient=recipient, kind=kind, subject=subject)
        task_enqueue(
            tasks.mail_deliver,
            to=[address],
            subject=subject,
            body=body,
            html=html,
            log_id=log.pk,
            attachments=files,
        )


def later_call(function: Callable[..., str], *args: Any) -> Promise:
    """`function(*args)` (a date with its weekday, a span of time) computed when read, so in
    the reader's language like `later`'s texts: `later(msg, when=later_call(day_text, d))`."""
    return cast(Promise, lazy(function, str)(*args))
