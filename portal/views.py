import math

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import registry
from portal.access import AuthenticatedRequest, admin_required, public, signed_in_required
from portal.auth import LoginForm, login_retry_at
from portal.htmx import page_path
from portal.models import AccessLog
from portal.selectors import health_status, notifications_recent
from portal.services import notifications_mark_read


def _cards(role: str, user) -> list[dict]:
    return [{"card": card, "ctx": card.context(user)} for card in registry.cards_for(role)]


@public
def home(request: HttpRequest) -> HttpResponse:
    """Anyone: what is happening now — the cards the apps register for "public" (open issues,
    upcoming public events, published results). Signed-in people go to their dashboard."""
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "portal/home.html", {"cards": _cards("public", request.user)})


@signed_in_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "portal/dashboard.html", {"cards": _cards(request.user.role, request.user)}
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@public
def login_view(request: HttpRequest) -> HttpResponse:
    # The throttle (django-axes) and the access log (portal.auth) hang off authenticate() and
    # the login signals, so this form and the admin's behave alike.
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())  # rotates the session key
        return redirect(_safe_next(request))
    return render(request, "portal/login.html", {"form": form, "next": _safe_next(request)})


@public
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent with a stale or missing token (a page left open past the
    session, a cookie cleared, another tab's logout) gets the portal's 403 page in the
    person's language with a way back to the page to reload, not Django's English page.

    Django's CSRF middleware has already logged the refusal (logger django.security.csrf) with
    its ``reason``; the page does not show it (it speaks of cookies and Referer headers).
    """
    context = {
        "heading": _("ページの有効期限が切れました。"),
        "exception": _(
            "もう一度読み込んでから送信してください。入力した内容は保存されていません。"
        ),
        "back": page_path(request),
        "back_label": _("元のページを読み込み直す"),
    }
    return render(request, "403.html", context, status=403)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the 429 page of both login forms, with when to try again, the
    self-service password reset, and a way back to the form that was used."""
    retry_at = login_retry_at(request, credentials)
    seconds = max(1, math.ceil((retry_at - timezone.now()).total_seconds())) if retry_at else None
    admin_login = reverse("admin:login")
    back = admin_login if request.path == admin_login else reverse("portal:login")
    response = render(
        request,
        "portal/login_locked.html",
        {"retry_at": retry_at, "seconds": seconds, "back": back},
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


@require_POST
@public
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # logged by portal.auth
    return redirect("portal:home")


@public
def health(request: HttpRequest) -> JsonResponse:
    status = health_status()
    healthy = status["database"] == "ok"
    return JsonResponse(status, status=200 if healthy else 503)


@signed_in_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("portal:notifications")
    return render(
        request, "portal/notifications.html", {"items": notifications_recent(user=request.user)}
    )


@admin_required
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    entries = AccessLog.objects.select_related("user")[:200]
    return render(request, "portal/access_log.html", {"entries": entries})
