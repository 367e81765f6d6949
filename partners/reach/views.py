"""Screens: staff invite a contact to become a member; the contact creates the account."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.models import ContactLink, ContactPerson, LinkPurpose
from partners.reach import services
from partners.reach.forms import JoinForm
from portal.access import AuthenticatedRequest, public, role_required
from portal.formtools import form_add_service_errors, messages_service_errors
from portal.models import AccessLog, Role, User
from portal.services import access_log_record

BACKEND = "django.contrib.auth.backends.ModelBackend"
TOKEN_IN_PATH = re.compile(r"/(link|join|invitation)/[^/]+/")


def path_without_token(request: HttpRequest) -> str:
    """The request's path with a link's token cut out, for the access log: a token refused on
    one page may still work where it belongs, and the log is no place for working links."""
    return TOKEN_IN_PATH.sub(r"/\1/…/", request.path)


JoinThen = Callable[[User, ContactLink], object]


def link_refused(request: HttpRequest, refusal: services.LinkRefused) -> HttpResponse:
    """The page for a link that cannot be used: its reason said plainly, the refusal logged."""
    access_log_record(
        kind=AccessLog.Kind.DENIED,
        request=request,
        detail=f"contact link {refusal.reason}",
        path=path_without_token(request),
    )
    return render(request, "partners/link_refused.html", {"message": refusal.message}, status=400)


def join_handle(
    request: HttpRequest, link: ContactLink, *, done: str, then: JoinThen | None = None
) -> tuple[JoinForm, HttpResponse | None]:
    """The account form of a link page (JOIN links and answer links alike; its submit button
    sends action=join). Returns the form to show and, once the request is settled, the
    response: a redirect to `done` with the new member signed in, or the refusal page.
    `then` is passed to services.contact_join."""
    form = JoinForm(request.POST if request.POST.get("action") == "join" else None)
    if not form.is_bound:
        return form, None
    refusal = services.join_refusal(link, request.user)
    if refusal is not None:
        return form, link_refused(request, refusal)
    if not form.is_valid():
        return form, None
    try:
        user = services.contact_join(
            link=link,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            then=then,
        )
    except services.LinkRefused as exc:
        return form, link_refused(request, exc)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return form, None
    login(request, user, backend=BACKEND)
    messages.success(
        request,
        _("利用者アカウントを作成しました。%(org)s の利用者としてログインしています。")
        % {"org": link.organization.name},
    )
    return form, redirect(done)


@public
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A contact invited by staff: create a member account of the organisation (once)."""
    try:
        link = services.contact_link_find(token=token, purpose=LinkPurpose.JOIN)
    except services.LinkRefused as refusal:
        return link_refused(request, refusal)
    used = services.join_refusal(link, request.user)
    if used is not None:
        return link_refused(request, used)
    form, response = join_handle(request, link, done=reverse("partners:my_org"))
    return response or render(request, "partners/join.html", {"link": link, "form": form})


@require_POST
@role_required(Role.COORDINATOR, Role.APPROVER, Role.ADMIN)
def contact_invite(request: AuthenticatedRequest, pk: int, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(
        ContactPerson.objects.select_related("organization"), pk=contact_id, organization_id=pk
    )
    try:
        services.contact_invite(contact=contact, by=request.user)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(
            request,
            _(
                "%(name)s さんに利用者アカウント作成の案内を送りました（有効期限 %(days)s 日・1回限り）。"
            )
            % {"name": contact.name, "days": services.LINK_DAYS},
        )
    return redirect("partners:org_detail", pk=pk)
