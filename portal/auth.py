"""One login throttle and one log for every login form (the portal's and the admin's).

django-axes counts failed sign-ins in the database (``AxesDatabaseHandler``), so every
gunicorn worker sees the same count without Redis. It is keyed on the username as
``portal.identifiers.username_key`` folds it and on the client address (``portal.client``);
settings.AXES_* say how many failures and for how long (docs/decisions/0008). The receivers
below write each sign-in, failure, lockout and refusal to the project's access log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest

from portal.client import client_ip
from portal.identifiers import invisible_remove, username_key
from portal.models import AccessLog
from portal.services import access_log_record

USERNAME_FIELD = "username"  # the field both login forms post (AXES_USERNAME_FORM_FIELD)


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' check before any password is: a locked-out client is refused unchecked.

    Marks the request so the access log can tell a refusal from a wrong password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[override]
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            request.login_throttled = True
            raise


class _VisibleUsernameMixin(AuthenticationForm):
    def clean_username(self) -> str:
        # A name pasted from a mail or a spreadsheet may carry an invisible U+200B or U+FEFF:
        # the person typed what they see, so they sign in (issue #15, newcomer probe).
        return invisible_remove(self.cleaned_data.get("username"))


class LoginForm(_VisibleUsernameMixin, AuthenticationForm):
    """The portal's login form: Django's, the username without invisible characters."""


class AdminLoginForm(_VisibleUsernameMixin, AdminAuthenticationForm):
    """The admin's login form (admin.site.login_form), folded like the portal's."""


USERNAME_MAX_LENGTH = 150  # portal.User.username, as Django's AbstractUser defines it


def throttle_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the name a failure counts against (folded, never finer than
    Django's sign-in, so ``ｃoordinator3`` and ``coordinator3`` share one count)."""
    field = USERNAME_FIELD
    if credentials and credentials.get(field) is not None:
        raw = credentials[field]
    else:
        raw = request.POST.get(field, "")
    # No account has a longer name, so cutting cannot merge two accounts; axes stores this in a
    # 255-character column that PostgreSQL refuses to overflow (a 10,000-character attempt).
    return username_key(raw)[:USERNAME_MAX_LENGTH]


def login_retry_at(request: HttpRequest, credentials: dict[str, Any] | None) -> datetime | None:
    """When this client may try this username again (the last counted failure + the window)."""
    last = AccessAttempt.objects.filter(
        username=throttle_username(request, credentials), ip_address=client_ip(request)
    ).aggregate(last=Max("attempt_time"))["last"]
    cool_off = get_cool_off(request)
    if last is None or cool_off is None:
        return None
    return last + cool_off


def _typed_username(credentials: dict[str, Any] | None) -> str:
    return str((credentials or {}).get(USERNAME_FIELD) or "")[:150]


@receiver(user_logged_in, dispatch_uid="portal.access_log.login")
def _log_login(sender, request, user, **kwargs) -> None:
    access_log_record(kind=AccessLog.Kind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="portal.access_log.logout")
def _log_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        access_log_record(kind=AccessLog.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="portal.access_log.login_failed")
def _log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    refused = getattr(request, "login_throttled", False)
    access_log_record(
        kind=AccessLog.Kind.LOGIN_THROTTLED if refused else AccessLog.Kind.LOGIN_FAILED,
        request=request,
        username=_typed_username(credentials),
    )


@receiver(user_locked_out, dispatch_uid="portal.access_log.lockout")
def _log_lockout(sender, request, username, ip_address, **kwargs) -> None:
    # axes also signals every refusal during a lockout; those are logged as LOGIN_THROTTLED.
    if getattr(request, "login_throttled", False):
        return
    access_log_record(
        kind=AccessLog.Kind.LOGIN_LOCKOUT,
        request=request,
        username=str(username or "")[:150],
        detail=f"{settings.AXES_FAILURE_LIMIT} failures",
    )
