"""Partners propose (逆プロポ): the open issues that fit them, the proposal form, and the staff
decision on a partner's proposal from the issue's review screen."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from issues.models import IssueStatus
from issues.selectors import public_issues, public_issues_filter
from matching import selectors as matching_selectors
from matching.calls.models import OpenCall
from matching.models import Decision, Proposal
from matching.offers import selectors, services
from matching.offers.forms import (
    PartnerIssueFilterForm,
    PartnerProposalDecisionForm,
    PartnerProposalForm,
)
from matching.review import services as review_services
from matching.views import review_context
from partners.models import Organization
from partners.selectors import own_organization
from partners.services import organization_locked_reason
from portal.access import AuthenticatedRequest, partner_required, staff_required
from portal.formtools import form_add_service_errors, form_errors_text
from portal.models import AccessLog
from portal.once import already_created, create_once
from portal.services import access_log_record

PAGE_SIZE = 20
FILTERS = ("q", "ward", "field", "sdg")


def refusal_log(request: AuthenticatedRequest, detail: str) -> None:
    """A refused write (bad input a person sent, not a missing right) in the access log."""
    access_log_record(kind=AccessLog.Kind.DENIED, request=request, detail=detail[:200])


def _page_change(request: AuthenticatedRequest, url: str) -> HttpResponse:
    """Go to `url`: a redirect, or for an htmx form the whole page through HX-Redirect."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# ------------------------------------------------------------------------ partner side


def _locked_reason(organization: Organization) -> str:
    """Why the organisation's members cannot propose (shown instead of the form, and the 403)."""
    return organization_locked_reason(
        organization, pending=_("団体の登録が承認されると、課題に提案を送れるようになります。")
    )


@partner_required
@vary_on_headers("HX-Request")
def partner_issues(request: AuthenticatedRequest) -> HttpResponse:
    """The issues a partner may propose to: the engine's picks for its resources first, then
    every 募集中 issue, filtered by keyword, ward, field and SDG, 20 a page."""
    organization = own_organization(request.user)
    form = PartnerIssueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    # Partners propose to 募集中 issues only, whatever else the public list shows.
    qs = public_issues_filter(
        ward=data.get("ward"), field=data.get("field"), q=data.get("q", ""), sdg=data.get("sdg")
    ).filter(status=IssueStatus.OPEN)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.calls_attach(list(page.object_list))
    query = urlencode([(k, v) for k, v in request.GET.items() if k in FILTERS and v])
    context = {"form": form, "page": page, "rows": rows, "query": query, "org": organization}
    if request.htmx:
        return render(request, "matching/offers/issues.html#results", context)
    context["fitting"] = selectors.issues_fitting(organization_id=organization.pk)
    context["can_propose"] = request.user.has_perm("matching.propose_to_issue")
    context["locked_reason"] = _locked_reason(organization)
    return render(request, "matching/offers/issues.html", context)


@partner_required
def partner_issue(request: AuthenticatedRequest, issue_id: int) -> HttpResponse:
    """One 募集中 issue as partners see it, its open call, and the proposal form."""
    organization = own_organization(request.user)
    issue = get_object_or_404(public_issues().filter(status=IssueStatus.OPEN), pk=issue_id)
    call = OpenCall.objects.filter(issue=issue).first()
    can_propose = request.user.has_perm("matching.propose_to_issue")
    form = PartnerProposalForm(request.POST or None, organization=organization)
    status = 200
    if request.method == "POST":
        if not can_propose:
            raise PermissionDenied(_locked_reason(organization))
        if form.is_valid():
            try:
                once = create_once(
                    request,
                    form,
                    name=f"matching:partner_propose:{issue.pk}",
                    create=lambda: services.partner_proposal_submit(
                        user=request.user, issue=issue, data=form.cleaned_data
                    ),
                    url=lambda made: reverse("matching:partner_proposal", args=[made.pk]),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
                refusal_log(request, f"proposal to issue {issue.pk}: {' '.join(exc.messages)}")
            else:
                if once.repeated:
                    response = already_created(request, once)
                    return HttpResponseClientRedirect(once.url) if request.htmx else response
                messages.success(request, _("提案を送りました。区からの回答をお待ちください。"))
                return _page_change(request, once.url)
        # htmx swaps only a 2xx answer: the form comes back with its errors in place.
        status = 200 if request.htmx else 400
    return render(
        request,
        "matching/offers/issue.html",
        {
            "issue": issue,
            "call": call,
            "closed": services.open_call_refusal(call),
            "form": form,
            "org": organization,
            "can_propose": can_propose,
            "locked_reason": _locked_reason(organization),
            "mine": list(
                Proposal.objects.filter(issue=issue, organization=organization).order_by(
                    "-created_at"
                )
            ),
        },
        status=status,
    )


# ------------------------------------------------------------------------ staff decision


@staff_required
@require_POST
def partner_proposal_decide(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    """承認依頼・承認・保留・却下 of a partner's proposal, as for a candidate (same service rules)."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("issue", "organization"),
        pk=proposal_id,
        origin=Proposal.Origin.PARTNER,
    )
    if not matching_selectors.issues_in_scope(request.user).filter(pk=proposal.issue_id).exists():
        raise Http404
    form = PartnerProposalDecisionForm(request.POST)
    problem = ""
    if not form.is_valid():
        problem = form_errors_text(form)
    else:
        try:
            decision = review_services.partner_proposal_decide(
                proposal=proposal,
                user=request.user,
                verdict=form.cleaned_data["verdict"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            problem = " ".join(exc.messages)
            refusal_log(request, f"decision on partner proposal {proposal.pk}: {problem}")
        else:
            if decision.verdict == Decision.Verdict.APPROVED and not request.htmx:
                messages.success(request, _("提案を承認しました。連携事業として登録されました。"))
    if request.htmx:
        context = review_context(request, proposal.issue)
        context["o"] = next(o for o in context["offers"] if o.pk == proposal.pk)
        context["offer_problem"] = problem
        return render(request, "matching/issue_review.html#offer", context)
    if problem:
        messages.error(request, problem)
    return redirect(reverse("matching:issue_review", args=[proposal.issue_id]) + "#offers")
