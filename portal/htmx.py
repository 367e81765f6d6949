"""HTMX at the edges: an expired session, a refusal, the browser's back button.

- A request from htmx that meets a signed-out session gets `HX-Redirect` to the login page
  with `next` = the page the person was on (not the fragment or POST URL it called), and the
  login page says the change was not saved.
- Back/forward with htmx's history cache off sends a "history restore" request carrying
  `HX-Request`: it must get the whole page, not the fragment, or the header, navigation and
  filters vanish. `HistoryRestoreMiddleware` makes such a request look like a plain one.
- Refusals and network failures of htmx requests are announced in the page's live region by
  static/js/portal.js (htmx does not swap 4xx/5xx answers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage.base import BaseStorage
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class _PlainRequest(HtmxDetails):
    """request.htmx for a history restore: falsy, so views render the whole page."""

    def __bool__(self) -> bool:
        return False


class HistoryRestoreMiddleware:
    """After django_htmx's HtmxMiddleware: a history-restore request is a plain page request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        if htmx and htmx.history_restore_request:
            request.htmx = _PlainRequest(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def page_path(request: HttpRequest) -> str:
    """The page the person was looking at: htmx's current URL, the referring page of a
    plain POST, else the requested path."""
    htmx = getattr(request, "htmx", None)
    candidate = ""
    if htmx:
        candidate = htmx.current_url_abs_path or ""
    elif request.method != "GET":
        referer = request.META.get("HTTP_REFERER", "")
        if url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            candidate = referer
    if not candidate:
        return request.get_full_path() if request.method == "GET" else "/"
    if candidate.startswith("http"):
        parts = urlsplit(candidate)
        candidate = parts.path + (f"?{parts.query}" if parts.query else "")
    return candidate


def _message_once(request: HttpRequest, text: str) -> None:
    """A warning for the next page, unless one with the same text already waits there: three
    changes tried after the session ended say it once on the login page, not three times."""
    storage = messages.get_messages(request)
    waiting = False
    if isinstance(storage, BaseStorage):
        was_used = storage.used
        waiting = any(str(message) == text for message in storage)
        storage.used = was_used  # looking is not showing: the messages stay for the next page
    if not waiting:
        messages.warning(request, text)


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Send a signed-out person to the login page, back to the page they were on afterwards."""
    if request.method != "GET":
        _message_once(
            request,
            _(
                "ログインの有効期限が切れたため、変更は保存されていません。もう一度ログインしてください。"
            ),
        )
    target = redirect_to_login(page_path(request))
    if getattr(request, "htmx", None):
        return HttpResponseClientRedirect(target.url)
    return target
