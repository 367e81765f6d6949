"""Who may use which view. Every view in the project is wrapped by one of these.

The decorators record their policy on the view (``view.access``) so the authorisation
matrix test can prove that no URL was left without one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from portal.htmx import login_redirect
from portal.models import STAFF_ROLES, AccessLog, Role, User
from portal.services import access_log_record

View = Callable[..., HttpResponseBase]


class HtmxRequest(HttpRequest):
    """Typing only: every request passes ``HtmxMiddleware``, which sets ``request.htmx``."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    """Typing only: the request a view behind ``role_required`` (or one of its aliases) gets.

    The decorator has already refused anonymous users, so ``request.user`` is a ``User``.
    Public views keep ``HttpRequest`` (or ``HtmxRequest``).
    """

    user: User


ALL_ROLES = frozenset(Role)


def public(view: View) -> View:
    """Anyone, signed in or not (resident-facing pages, the public registration form)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed-in users whose role is one of ``roles``; anyone else is refused (and logged)."""
    allowed = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                access_log_record(kind=AccessLog.Kind.DENIED, request=request, detail="anonymous")
                return login_redirect(request)
            if user.role not in allowed:  # type: ignore[union-attr]
                access_log_record(
                    kind=AccessLog.Kind.DENIED, request=request, detail=f"role={user.role}"
                )
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except (Http404, PermissionDenied) as refusal:
                # Another ward's or organisation's object (answered 404 so its existence is not
                # revealed) or a right the role lacks for this object: both are refusals.
                status = 404 if isinstance(refusal, Http404) else 403
                access_log_record(
                    kind=AccessLog.Kind.DENIED, request=request, detail=f"{status} {refusal}"[:200]
                )
                raise

        wrapper.access = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator


staff_required = role_required(*STAFF_ROLES)
signed_in_required = role_required(*ALL_ROLES)
partner_required = role_required(Role.PARTNER)
coordinator_required = role_required(Role.COORDINATOR, Role.ADMIN)
approver_required = role_required(Role.APPROVER, Role.ADMIN)
evaluator_required = role_required(Role.EVALUATOR, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
