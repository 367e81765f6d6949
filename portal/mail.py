"""Outgoing mail, sent only after the transaction that decided it commits.

A mail is a side effect: a rolled-back decision must not have mailed anyone, and a slow or
failing mail server must neither hold row locks nor undo the action. `mail_send` therefore
queues the delivery with `task_enqueue` (after commit; a Celery task when a broker is
configured, in this process otherwise), and the task retries with backoff and logs what it
could not deliver.
"""

from __future__ import annotations


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


def mail_send(
    *,
    to: list[str],
    subject: str,
    body: str,
    attachments: list[tuple[str, str, str]] | None = None,
) -> None:
    """Queue one message to `to` (addresses) after commit; empty `to` sends nothing.

    `attachments`: (filename, text, mimetype) each, e.g. a booking's .ics; text only, so the
    task's arguments stay JSON for the broker.
    """
    from portal import tasks
    from portal.services import task_enqueue

    addresses = sorted({address for address in to if address})
    if not addresses:
        return
    task_enqueue(
        tasks.mail_deliver,
        to=addresses,
        subject=header_text(subject),
        body=body,
        attachments=[list(attachment) for attachment in attachments or []],
    )
