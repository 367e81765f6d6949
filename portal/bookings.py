"""What every booking a person makes without an account shares: a resident's seat at a public
event (matching.events) and an advice-session booking (portal.support.advice).

- The 受付番号: 8 characters from an alphabet without 0/O and 1/I, so it can be read out at a
  desk or over the phone (32^8 ≈ 10^12 numbers: a collision is checked, never expected).
- The signed link of the confirmation mail that opens the booking and cancels it: signed with
  the site's SECRET_KEY and a timestamp (django.core.signing), valid for
  BOOKING_LINK_MAX_AGE_DAYS. It names the booking and its 受付番号, so a changed link is refused
  and a link never opens another booking.
- The date line of a mail or a page: the Tokyo date with its weekday, in the reader's language.
- The confirmation mail itself, written in the language the person booked in.
- The page the link opens: the booking, or why the link is refused; its cancel button.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from portal.mail import language_or_default, mail_send

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the desk
RECEIPT_LENGTH = 8
RECEIPT_MAX_LENGTH = 12  # the column width (room for the demo's own numbers)


def receipt_number_new() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def receipt_number_free(model: type[models.Model], field: str) -> str:
    """A new 受付番号 no row of ``model`` holds in ``field`` (the column is unique as well)."""
    for _attempt in range(10):
        number = receipt_number_new()
        if not model._default_manager.filter(**{field: number}).exists():
            return number
    raise RuntimeError("no free receipt number after 10 draws")  # 10^-100: a broken generator


# --- the signed link --------------------------------------------------------------------------


def link_token(*, kind: str, pk: int, number: str) -> str:
    """The token of the link to booking ``pk`` of ``kind`` ("event-seat", "advice")."""
    return signing.dumps([pk, number], salt=f"portal.bookings.{kind}")


def link_read(token: str, *, kind: str) -> tuple[int, str]:
    """(pk, 受付番号) of a link made by ``link_token``.

    Raises ValidationError (code "expired" or "invalid") with the message the person sees.
    """
    max_age = datetime.timedelta(days=settings.BOOKING_LINK_MAX_AGE_DAYS)
    try:
        pk, number = signing.loads(token, salt=f"portal.bookings.{kind}", max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(
            _("このリンクは有効期限が切れています。お手数ですが、窓口へお問い合わせください。"),
            code="expired",
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError(
            _(
                "このリンクは正しくありません。メールに記載されたリンクを、"
                "途中で切れないようにそのまま開いてください。"
            ),
            code="invalid",
        ) from None
    return int(pk), str(number)


# --- dates and mails --------------------------------------------------------------------------


def day_text(moment: datetime.date) -> str:
    """A day with its weekday in the active language: 2026年6月3日（水） / Wed 3 June 2026.
    A datetime is read as its Tokyo date."""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment)
    # Translators: a Django date format (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
    return dateformat.format(moment, _("Y年n月j日（D）"))


def moment_text(moment: datetime.datetime) -> str:
    """2026年6月3日（水） 14:00 — a deadline, a reminder's time."""
    return f"{day_text(moment)} {timezone.localtime(moment):%H:%M}"


def when_text(starts_at: datetime.datetime, ends_at: datetime.datetime) -> str:
    """2026年6月3日（水）14:00〜16:00 — the day, and the end's day too when it is another."""
    starts, ends = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if starts.date() == ends.date():
        return _("%(day)s %(start)s〜%(end)s") % {
            "day": day_text(starts),
            "start": starts.strftime("%H:%M"),
            "end": ends.strftime("%H:%M"),
        }
    return _("%(day)s %(start)s〜%(end_day)s %(end)s") % {
        "day": day_text(starts),
        "start": starts.strftime("%H:%M"),
        "end_day": day_text(ends),
        "end": ends.strftime("%H:%M"),
    }


@contextmanager
def language_of(booking_language: str) -> Iterator[None]:
    """Write in the language the person booked in (a supported one, else the site's)."""
    with translation.override(language_or_default(booking_language)):
        yield


def booking_mail_send(
    *,
    to: str,
    language: str,
    subject: str | Promise,
    template: str,
    context: dict,
    ics: tuple[str, str] | None = None,
) -> None:
    """One mail about a booking, after commit: ``template`` (plain text) rendered in the
    person's ``language``; ``ics`` = (filename, calendar text) attached when given. Build the
    context inside ``language_of`` too, so its dates and labels are in the same language.

    ``subject``: a lazy translation (gettext_lazy), so it is read in that language too.
    """
    if not to:
        return
    with language_of(language):
        body = render_to_string(template, context)
        attachments = [(ics[0], ics[1], "text/calendar")] if ics else None
        mail_send(
            to=[to],
            subject=_("[地域連携マッチング] %(subject)s") % {"subject": str(subject)},
            body=body,
            attachments=attachments,
        )


# --- the page the signed link opens --------------------------------------------------------------


def booking_link_open[T](
    request: HttpRequest, token: str, *, read: Callable[[str], T], template: str, log: str
) -> T | HttpResponse:
    """The booking a signed link names (``read``), or the page ``template`` saying why not:
    410 for an expired link, 404 for a changed one; the refusal goes to the access log."""
    from portal.models import AccessLog
    from portal.services import access_log_record

    try:
        return read(token)
    except ValidationError as exc:
        access_log_record(kind=AccessLog.Kind.DENIED, request=request, detail=f"{log} {exc.code}")
        return render(
            request,
            template,
            {"refusal": " ".join(exc.messages)},
            status=410 if exc.code == "expired" else 404,
        )


def booking_link_cancel(
    request: HttpRequest, token: str, *, cancel: Callable[..., object], done: str
) -> HttpResponse:
    """The cancel button of a booking's page: ``cancel(token=…)``, its refusal or ``done`` as
    the message, back to the same page (a second press says it is already cancelled)."""
    from portal.formtools import messages_service_errors

    try:
        cancel(token=token)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, done)
    return redirect(request.path)
