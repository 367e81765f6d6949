"""The proposal as its organisation sees it: answering (members and mailed links alike), the
contact's link page, and staff re-sending a proposal that reached no one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matching import selectors as matching_selectors
from matching.forms import ProposalResponseForm
from matching.models import Proposal
from matching.proposals import selectors, services
from partners.models import ContactLink, OrgStatus, Outreach
from partners.reach.services import LinkRefused, contact_link_find, join_refusal
from partners.reach.views import join_handle, link_refused, path_without_token
from portal.access import AuthenticatedRequest, public, role_required
from portal.models import AccessLog, Role, User
from portal.services import access_log_record


def answer_handle(
    request: HttpRequest,
    proposal: Proposal,
    *,
    user: User | None = None,
    link: ContactLink | None = None,
) -> tuple[ProposalResponseForm, HttpResponse | None]:
    """The answer form of the proposal page (受諾 / 辞退 with a comment). Returns the form to
    show and, after a recorded answer, the redirect. A refused answer (answered already,
    expired) shows its reason, changes nothing and is written to the access log; one the
    person may not give raises PermissionDenied."""
    posted = request.method == "POST" and request.POST.get("action", "answer") == "answer"
    form = ProposalResponseForm(request.POST if posted else None)
    if not (posted and form.is_valid()):
        return form, None
    accept = form.cleaned_data["answer"] == "accept"
    try:
        services.proposal_respond(
            proposal=proposal,
            user=user,
            link=link,
            accept=accept,
            reason=form.cleaned_data["reason"],
        )
    except services.AnswerRefused as exc:
        access_log_record(
            kind=AccessLog.Kind.DENIED,
            request=request,
            detail=f"proposal={proposal.pk} answer refused: {type(exc).__name__}",
            path=path_without_token(request),
        )
        form.add_error(None, " ".join(exc.messages))
        return form, None
    except ValidationError as exc:
        form.add_error(None, " ".join(exc.messages))
        return form, None
    messages.success(
        request,
        _("提案を受諾しました。連携事業として登録されました。")
        if accept
        else _("提案を辞退しました。"),
    )
    return form, redirect(request.path)


def page_context(proposal: Proposal, form: ProposalResponseForm, **extra: Any) -> dict[str, Any]:
    """The one proposal page's context, for members and for a contact's link alike."""
    return {
        "proposal": proposal,
        "form": form,
        "project": getattr(proposal, "project", None),
        **selectors.proposal_page(proposal),
        **extra,
    }


@public
def proposal_link(request: HttpRequest, proposal_id: int, token: str) -> HttpResponse:
    """A contact's mailed link: the proposal, its answer, and a member account (once)."""
    proposal = get_object_or_404(selectors.proposal_for_page(), pk=proposal_id)
    try:
        link = contact_link_find(token=token, topic=Outreach.Topic.PROPOSAL, topic_id=proposal.pk)
    except LinkRefused as refusal:
        return link_refused(request, refusal)
    try:
        form, response = answer_handle(request, proposal, link=link)
    except PermissionDenied:  # the organisation was suspended since the link was sent
        return link_refused(request, LinkRefused(_("この提案には回答できません。"), "suspended"))
    if response is not None:
        return response
    join_form, response = join_handle(
        request, link, done=reverse("matching:partner_proposal", args=[proposal.pk])
    )
    if response is not None:
        return response
    return render(
        request,
        "matching/partner_proposal.html",
        page_context(
            proposal,
            form,
            via_link=True,
            link=link,
            can_answer=proposal.organization.status == OrgStatus.APPROVED,
            join_form=join_form,
            can_join=join_refusal(link, request.user) is None,
        ),
    )


@require_POST
@role_required(Role.COORDINATOR, Role.APPROVER, Role.ADMIN)
def proposal_resend(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    """Staff send a proposal that reached no one again (after a contact was added)."""
    proposal = get_object_or_404(
        matching_selectors.proposals_for_staff(request.user), pk=proposal_id
    )
    try:
        delivery = services.proposal_reach_retry(proposal=proposal, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(org)s に提案を送り直しました（%(n)s 人に届きました）。")
            % {"org": proposal.organization.name, "n": delivery.reached},
        )
    return redirect(reverse("matching:proposals") + "?reach=none")
