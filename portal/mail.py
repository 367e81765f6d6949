"""Outgoing mail, sent only after the transaction that decided it commits.

A mail is a side effect: a rolled-back decision must not have mailed anyone, and a slow or
failing mail server must neither hold row locks nor undo the action. `mail_send` therefore
queues the delivery with `task_enqueue` (after commit; a Celery task when a broker is
configured, in this process otherwise), and the task retries with backoff and logs what it
could not deliver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.models import User


def header_text(text: str, *, limit: int = 78) -> str:
    """Text fit for a mail header: one line (CR/LF/tabs folded to spaces), at most `limit` chars.

    A line break in a subject makes Django refuse the whole message (BadHeaderError), so any
    text a person typed (a reason, a name) is folded before it goes into a header.
    """
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def absolute_url(path: str) -> str:
    """`path` (a site path such as "/matching/partner/proposals/9/") as an absolute URL.

    Built from settings.SITE_URL, never from a request: mails are written by tasks, and a link
    a person reads in a mail client must open the portal, not a relative path.
    """
    from django.conf import settings

    return f"{settings.SITE_URL}/{path.lstrip('/')}"


def mail_render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The plain-text and HTML parts of a mail: `template`.txt and `template`.html rendered
    with `context`, in the portal's language (Japanese) whoever's request triggered it.

    The .txt templates turn autoescaping off themselves (a plain-text mail shows `&`, not
    `&amp;`); links in `context` must already be absolute (`absolute_url`).
    """
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return (
            render_to_string(f"{template}.txt", context),
            render_to_string(f"{template}.html", context),
        )


SUBJECT_PREFIX = "[地域連携マッチング] "


def mail_template_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    subject: str,
    kind: str = "general",
    recipient: User | None = None,
) -> None:
    """Render `template` (.txt and .html, see mail_render) for one address and queue it with
    the portal's subject prefix. `context` gets `settings_link` (where a person changes which
    notices come by mail) unless it has one."""
    from django.urls import reverse

    text, html = mail_render(
        template, {"settings_link": absolute_url(reverse("portal:notice_settings")), **context}
    )
    mail_send(
        to=[to],
        subject=SUBJECT_PREFIX + subject,
        body=text,
        html=html,
        kind=kind,
        recipient=recipient,
    )


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
