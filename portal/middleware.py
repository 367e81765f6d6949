import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.services import activity_record

LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    """Signs out a session idle longer than SESSION_IDLE_SECONDS or older than SESSION_COOKIE_AGE.

    The absolute limit is checked here because Django moves a session's expiry forward each
    time the session is saved — and recording the last request saves it (at most once a minute).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get("last_seen", now)
            signed_in_at = request.session.setdefault("signed_in_at", now)
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            if idle or now - signed_in_at > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif (
                now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS
                or "last_seen" not in request.session
            ):
                # Rewriting the session on every request cost each page an UPDATE and a commit;
                # the idle limit (30 min) does not need a finer clock than a minute.
                request.session["last_seen"] = now
        return self.get_response(request)


class ActivityMiddleware:
    """Records that a signed-in user was active today, once per session and day."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            today = timezone.localdate().isoformat()
            if request.session.get("active_day") != today:
                activity_record(user=request.user)
                request.session["active_day"] = today
        return self.get_response(request)
