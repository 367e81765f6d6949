from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import registry
from portal.access import AuthenticatedRequest, admin_required, public, signed_in_required
from portal.auth import login_failure_count, login_failures_clear, login_is_throttled
from portal.models import AccessLog
from portal.selectors import health_status, notifications_recent
from portal.services import access_log_record, notifications_mark_read


@public
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    return render(request, "portal/home.html", {})


@signed_in_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    cards = [
        {"card": card, "ctx": card.context(request.user)}
        for card in registry.cards_for(request.user.role)
    ]
    return render(request, "portal/dashboard.html", {"cards": cards})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@public
def login_view(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        username = request.POST.get("username", "")
        if login_is_throttled(username):
            access_log_record(
                kind=AccessLog.Kind.LOGIN_THROTTLED, request=request, username=username
            )
            form = AuthenticationForm(request)
            messages.error(
                request,
                _(
                    "ログインの失敗が続いたため、しばらく受け付けません。1分ほど待ってからお試しください。"
                ),
            )
            return render(request, "portal/login.html", {"form": form}, status=429)
        if form.is_valid():
            user = form.get_user()
            login(request, user)  # rotates the session key
            login_failures_clear(username)
            access_log_record(kind=AccessLog.Kind.LOGIN, request=request, user=user)
            return redirect(_safe_next(request))
        login_failure_count(username)
        access_log_record(kind=AccessLog.Kind.LOGIN_FAILED, request=request, username=username)
    return render(request, "portal/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
@public
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        access_log_record(kind=AccessLog.Kind.LOGOUT, request=request)
    logout(request)
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
