"""One click, one record: a one-time token per create form, and idempotency keys for devices.

A create form carries a hidden ``form_token`` issued when the form is shown. The view runs the
create through ``create_once``: the token is claimed (a unique row, SubmissionReceipt) in the
same transaction as the create, so two POSTs of the same form — a double click over a slow
line, a resent request — create one record; the second is answered with the record the first
one made. A create that fails (a validation error) rolls its claim back with it, so the person
can correct the form and send it again with the same token.

A request without a token (a form rendered before this existed, a script) is served as before:
refusing it would lose what a person typed, and a browser always sends the hidden field.

A signed-in person's create is also claimed by its content (a digest of the cleaned form data)
for ``REPEAT_WINDOW_SECONDS``: after 「登録する」, the browser's Back button fetches the form
again with a new token while Chrome restores what was typed, and a second click made a second
record (issue #15, third probe). The same content from the same person within the window is
answered with the first record; anonymous forms are not claimed by content (two residents may
well send the same words). The content includes the object the URL names (the resolved URL's
kwargs): the same 「対応中」 and note on consultation 9 after consultation 10 is another update,
not a repeat of the first (issue #15, newcomer probe). Forms whose identical entries are
legitimate — a paper survey's answers, a conversation's 「了解しました」 — pass
``by_content=False``; their one-time token still stops a double click.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import SubmissionReceipt

FORM_TOKEN_FIELD = "form_token"  # noqa: S105  # nosec B105 - a field name, not a secret
KEY_MAX_LENGTH = SubmissionReceipt._meta.get_field("key").max_length or 100
# How long the same content from the same person counts as the same create (see the module doc).
REPEAT_WINDOW_SECONDS = 600


class AlreadySubmitted(Exception):
    """The token was used before: ``receipt`` tells what the first submission produced."""

    def __init__(self, receipt: SubmissionReceipt) -> None:
        super().__init__(receipt.scope)
        self.receipt = receipt


def form_token_new() -> str:
    # Hex: no leading "-" or "=" that a formula check on the form data could mistake.
    return secrets.token_hex(20)


class _TokenInput(forms.HiddenInput):
    """A hidden input without an id: a page with several create forms keeps its ids unique."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("id", None)
        return context


class OnceFormMixin(forms.Form):
    """Adds the hidden one-time ``form_token`` to a create form (issued with each new form)."""

    form_token = forms.CharField(widget=_TokenInput, required=False, max_length=KEY_MAX_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FORM_TOKEN_FIELD].initial = form_token_new()
        self.submitted_token = ""  # nosec B105 - no token submitted yet

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Kept apart from the data, so services that take cleaned_data never see it.
        self.submitted_token = str(data.pop(FORM_TOKEN_FIELD, "") or "")
        return data


def receipt_claim(*, scope: str, key: str, fingerprint: str = "") -> SubmissionReceipt | None:
    """Claim ``key`` in ``scope`` inside the caller's transaction (None when there is no key);
    ``fingerprint`` (up to 64 characters, a digest of what was sent) is kept with the claim so
    a later use of the key can tell a replay from other content (the receipt's fingerprint).

    Raises AlreadySubmitted when it was claimed by a committed transaction. On PostgreSQL a
    concurrent claim of the same key waits here until the first transaction ends (on SQLite
    the second transaction waits to begin: settings' transaction_mode IMMEDIATE).
    """
    key = (key or "").strip()[:KEY_MAX_LENGTH]
    if not key:
        return None
    try:
        with transaction.atomic():
            return SubmissionReceipt.objects.create(
                scope=scope[:100], key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        raise AlreadySubmitted(SubmissionReceipt.objects.get(scope=scope[:100], key=key)) from None


def _value_key(value: Any) -> str:
    if isinstance(value, models.Model):
        return f"{type(value).__name__}:{value.pk}"
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return "[" + ",".join(sorted(_value_key(item) for item in value)) + "]"
    if hasattr(value, "read") and hasattr(value, "size"):  # an uploaded file
        return f"file:{getattr(value, 'name', '')}:{value.size}"
    return repr(value)


def content_digest(form: forms.BaseForm, *, where: str = "") -> str:
    """A digest of ``where`` (the object the form is about) and the form's cleaned data
    (models by pk, files by name and size)."""
    data = getattr(form, "cleaned_data", {}) or {}
    lines = [f"@{where}"] + [f"{name}={_value_key(value)}" for name, value in sorted(data.items())]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def request_target(request: HttpRequest) -> str:
    """The object a request's URL names: its view and resolved kwargs (``pk=10``), the same
    under every language prefix; the path when the URL did not resolve (a test's request)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return request.path
    kwargs = ",".join(f"{key}={value}" for key, value in sorted(match.kwargs.items()))
    return f"{match.view_name}({kwargs})"


def content_claim(*, scope: str, digest: str) -> SubmissionReceipt | None:
    """Claim ``digest`` in ``scope`` like a token, but only for ``REPEAT_WINDOW_SECONDS``: an
    older claim of the same content is let go first. Raises AlreadySubmitted within it."""
    since = timezone.now() - datetime.timedelta(seconds=REPEAT_WINDOW_SECONDS)
    SubmissionReceipt.objects.filter(scope=scope[:100], key=digest, created_at__lt=since).delete()
    return receipt_claim(scope=scope, key=digest)


def receipt_complete(
    receipt: SubmissionReceipt | None, *, url: str = "", result: Any = None
) -> None:
    if receipt is None:
        return
    receipt.result_url = url[:500]
    receipt.result = result
    receipt.save(update_fields=["result_url", "result"])


@dataclass
class Once[T]:
    """What ``create_once`` did: ``repeated`` when the token had been used before (then
    ``created`` is None and ``url`` is where the first submission's record is shown)."""

    created: T | None
    url: str
    repeated: bool = False


def create_once[T](
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    name: str,
    create: Callable[[], T],
    url: Callable[[T], str],
    by_content: bool = True,
) -> Once[T]:
    """Run ``create`` once per form token; ``url`` says where its record is shown.

    ``name`` names the create (e.g. "issues:create"); the scope also holds the signed-in user,
    so a token can only ever lead its own sender back to the record. A signed-in person's same
    content about the same object (the URL's kwargs) within ``REPEAT_WINDOW_SECONDS`` counts as
    the same create (module doc) unless ``by_content`` is False: a conversation's 「了解しました」
    or two paper survey answers alike may well be entered twice.
    """
    person = getattr(request.user, "pk", None)
    scope = f"{name}:{person or 'anonymous'}"
    token = getattr(form, "submitted_token", "")
    try:
        with transaction.atomic():
            receipt = receipt_claim(scope=scope, key=token)
            same = (
                content_claim(
                    scope=f"{scope}:content",
                    digest=content_digest(form, where=request_target(request)),
                )
                if by_content and person and token
                else None
            )
            created = create()
            target = url(created)
            receipt_complete(receipt, url=target)
            receipt_complete(same, url=target)
    except AlreadySubmitted as done:
        return Once(created=None, url=done.receipt.result_url, repeated=True)
    return Once(created=created, url=target)


def already_created(request: HttpRequest, once: Once[Any]) -> HttpResponse:
    """The answer to a form sent twice: the record the first submission made."""
    messages.info(request, _("この内容は既に登録されています（二重の送信は登録していません）。"))
    return redirect(once.url or "/")


def created_redirect(request: HttpRequest, once: Once[Any], success: str) -> HttpResponse:
    """After ``create_once``: the record's page with ``success``, or the repeat's notice."""
    if once.repeated:
        return already_created(request, once)
    messages.success(request, success)
    return redirect(once.url)


def receipts_sweep(*, older_than_days: int = 7) -> int:
    """Receipts older than any form left open in a browser: nothing can repeat them."""
    import datetime

    from django.utils import timezone

    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _ = SubmissionReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
