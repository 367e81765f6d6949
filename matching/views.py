"""Matching screens: runs, per-issue review, approvals, proposals, engine status, fairness."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from matching import selectors
from matching.calls.forms import OpenCallForm
from matching.calls.models import open_call_of
from matching.engine import services as engine_services
from matching.forms import DecisionForm, ShortlistForm, WeightsForm
from matching.models import Candidate, Decision, MatchingSettings, MatchRun, Proposal
from matching.offers import selectors as offer_selectors
from matching.proposals import selectors as proposal_selectors
from matching.proposals import services as proposal_services
from matching.proposals import views as proposal_views
from matching.review import services as review_services
from matching.runs import services as run_services
from portal.access import (
    AuthenticatedRequest,
    approver_required,
    coordinator_required,
    partner_required,
    staff_required,
)
from portal.formtools import form_errors_text
from portal.models import Role
from portal.permissions import permission_or_refuse
from portal.selectors import broker_reachable


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def issue_in_scope(request: AuthenticatedRequest, issue_id: int):
    issue = (
        selectors.issues_in_scope(request.user)
        .select_related("ward", "field", "open_call")
        .filter(pk=issue_id)
        .first()
    )
    if issue is None:
        raise Http404
    return issue


# ------------------------------------------------------------------------ overview and runs


@staff_required
@vary_on_headers("HX-Request")
def home(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    waiting_only = request.GET.get("waiting") == "1"
    page = Paginator(
        selectors.issues_for_review(user=request.user, query=query, waiting_only=waiting_only),
        25,
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "waiting_only": waiting_only,
        "runs": selectors.latest_runs(5),
        "can_run": request.user.has_perm("matching.run_matching"),
        "broker_reachable": broker_reachable(),
    }
    if request.htmx:
        return render(request, "matching/home.html#issues", context)
    return render(request, "matching/home.html", context)


@coordinator_required
@require_POST
def run_start(request: AuthenticatedRequest) -> HttpResponse:
    key = (request.POST.get("key") or "").strip()[:64] or None
    if not broker_reachable():
        messages.error(request, run_services.BROKER_DOWN_MESSAGE)
        return redirect("matching:home")
    run = run_services.match_run_start(scope=MatchRun.Scope.ALL, started_by=request.user, key=key)
    return redirect("matching:run_detail", run.pk)


@staff_required
@vary_on_headers("HX-Request")
def run_detail(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(MatchRun.objects.select_related("issue", "started_by"), pk=run_id)
    context = {
        "run": run,
        "stalled": run_services.match_run_stalled(run),
        "can_run": request.user.has_perm("matching.run_matching"),
        "results": _run_results(request, run) if run.status == MatchRun.Status.SUCCEEDED else [],
    }
    if request.htmx:
        return render(request, "matching/run_detail.html#progress", context)
    return render(request, "matching/run_detail.html", context)


def _run_results(request: AuthenticatedRequest, run: MatchRun):
    if run.scope == MatchRun.Scope.ISSUE and run.issue_id:
        return list(
            Candidate.objects.filter(issue_id=run.issue_id, current=True)
            .select_related("issue", "resource__organization")
            .order_by("rank")[:10]
        )
    return list(
        Candidate.objects.filter(run=run, rank=1)
        .filter(issue__in=selectors.issues_in_scope(request.user))
        .select_related("issue", "resource__organization")
        .order_by("-score")[:20]
    )


@coordinator_required
@require_POST
def run_retry(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(MatchRun, pk=run_id)
    try:
        new_run = run_services.match_run_retry(run=run, started_by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("matching:run_detail", run.pk)
    return redirect("matching:run_detail", new_run.pk)


# ------------------------------------------------------------------------ review


def review_context(request: AuthenticatedRequest, issue, *, conflict: str = "") -> dict:
    """The issue's review screen: the engine's candidates, the organisations' own proposals
    beside them (decided with the same verdicts), and the issue's open call."""
    candidates = selectors.candidates_for_issue(issue)
    decisions = selectors.last_decisions(issue)
    reasons = dict(review_services.REJECT_REASONS)
    for candidate in candidates:
        candidate.view = selectors.explanation_view(candidate)
        candidate.bar = min(100, max(0, round(100 * candidate.score / _max_score(candidates))))
        candidate.last_decision = decisions.get(candidate.resource_id)
        candidate.verdict_label = (
            Decision.Verdict(candidate.verdict).label
            if candidate.verdict in Decision.Verdict.values
            else ""
        )
        if candidate.last_decision is not None:
            candidate.reason_label = reasons.get(candidate.last_decision.reason, "")
    verdicts = review_services.allowed_verdicts(request.user, issue)
    today = timezone.localdate()
    offers = offer_selectors.partner_proposals_of_issue(issue)
    offered = {(o.organization_id, o.resource_id) for o in offers}
    for candidate in candidates:
        candidate.offered = (candidate.resource.organization_id, candidate.resource_id) in offered
    call = open_call_of(issue)
    can_publish = request.user.has_perm("matching.publish_call", issue)
    return {
        "can_approve": Decision.Verdict.APPROVED in verdicts,
        "default_deadline": proposal_services.deadline_default(),
        "deadline_min": today + datetime.timedelta(days=1),
        "deadline_max": today + datetime.timedelta(days=proposal_services.MAX_DEADLINE_DAYS),
        "issue": issue,
        "candidates": candidates,
        "offers": offers,
        "verdicts": [(v, review_services.VERDICT_BUTTONS[v]) for v in verdicts],
        "reasons": review_services.REJECT_REASONS,
        "can_decide": request.user.has_perm("matching.decide_candidate", issue),
        "conflict": conflict,
        "call": call,
        "call_form": OpenCallForm(
            initial={"deadline": call.deadline, "criteria": call.criteria} if call else None
        )
        if can_publish
        else None,
    }


def _max_score(candidates: list[Candidate]) -> float:
    return max([c.score for c in candidates if c.score > 0] or [1.0])


@staff_required
def issue_review(request: AuthenticatedRequest, issue_id: int) -> HttpResponse:
    issue = issue_in_scope(request, issue_id)
    return render(request, "matching/issue_review.html", review_context(request, issue))


@coordinator_required
@require_POST
def issue_refresh(request: AuthenticatedRequest, issue_id: int) -> HttpResponse:
    issue = issue_in_scope(request, issue_id)
    permission_or_refuse(request.user, "matching.decide_candidate", issue)
    run = run_services.matching_refresh_issue(issue_id=issue.pk, started_by=request.user)
    if run.status == MatchRun.Status.FAILED:
        messages.error(request, run.error)
    else:
        messages.success(request, _("候補を再計算しました。"))
    if request.htmx:
        return render(
            request, "matching/issue_review.html#candidates", review_context(request, issue)
        )
    return redirect("matching:issue_review", issue.pk)


def _candidate_response(request: AuthenticatedRequest, candidate: Candidate, conflict: str = ""):
    if request.htmx:
        context = review_context(request, candidate.issue, conflict=conflict)
        current = next((c for c in context["candidates"] if c.pk == candidate.pk), None)
        context["c"] = current
        return render(request, "matching/issue_review.html#candidate", context)
    if conflict:
        messages.error(request, conflict)
    return redirect("matching:issue_review", candidate.issue_id)


def _candidate_or_gone(
    request: AuthenticatedRequest, candidate_id: int
) -> Candidate | HttpResponse:
    """The candidate, or (HTMX) a plain notice that a re-run replaced it in the meantime."""
    candidate = (
        Candidate.objects.select_related("issue", "resource").filter(pk=candidate_id).first()
    )
    if candidate is not None:
        return candidate
    if request.htmx:
        return render(request, "matching/candidate_gone.html")
    raise Http404


@staff_required
@require_POST
def candidate_decide(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = _candidate_or_gone(request, candidate_id)
    if isinstance(candidate, HttpResponse):
        return candidate
    issue_in_scope(request, candidate.issue_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _candidate_response(request, candidate, form_errors_text(form))
    try:
        decision = review_services.decision_record(
            candidate=candidate,
            user=request.user,
            verdict=form.cleaned_data["verdict"],
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            comment=form.cleaned_data["comment"],
            deadline=form.cleaned_data["deadline"],
        )
    except ValidationError as exc:
        return _candidate_response(request, candidate, _errors(exc))
    if decision.verdict == Decision.Verdict.APPROVED and not request.htmx:
        messages.success(request, _("承認し、団体に提案を送りました。"))
    return _candidate_response(request, candidate)


@coordinator_required
@require_POST
def candidate_shortlist(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = _candidate_or_gone(request, candidate_id)
    if isinstance(candidate, HttpResponse):
        return candidate
    issue_in_scope(request, candidate.issue_id)
    form = ShortlistForm(request.POST)
    if not form.is_valid():
        return _candidate_response(request, candidate, _("入力内容を確認してください。"))
    try:
        review_services.candidate_shortlist(
            candidate=candidate,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            shortlisted=form.cleaned_data["shortlisted"],
        )
    except ValidationError as exc:
        return _candidate_response(request, candidate, _errors(exc))
    return _candidate_response(request, candidate)


@approver_required
def approvals(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.pending_approvals(request.user), 50).get_page(
        request.GET.get("page")
    )
    offers = offer_selectors.partner_proposals_waiting(request.user).filter(
        verdict=Decision.Verdict.REQUESTED
    )
    return render(request, "matching/approvals.html", {"page": page, "offers": offers[:100]})


@staff_required
def proposals(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    unreachable = request.GET.get("reach") == "none"
    qs = selectors.proposals_for_staff(request.user)
    if status in Proposal.Status.values:
        qs = qs.filter(status=status)
    qs = proposal_selectors.with_reach(qs, unreachable_only=unreachable)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/proposals.html",
        {
            "page": page,
            "status": status,
            "unreachable": unreachable,
            "statuses": Proposal.Status.choices,
            "can_resend": request.user.role in {Role.COORDINATOR, Role.APPROVER, Role.ADMIN},
        },
    )


# ------------------------------------------------------------------------ engine and fairness


@staff_required
def engine_status(request: AuthenticatedRequest) -> HttpResponse:
    row = engine_services.matching_settings_get()
    form = WeightsForm(instance=row, initial={"version": row.version})
    return render(
        request,
        "matching/engine.html",
        {
            "status": selectors.engine_status(),
            "form": form,
            "settings_row": row,
            "can_edit": request.user.has_perm("matching.run_matching"),
        },
    )


@coordinator_required
@require_POST
def engine_weights(request: AuthenticatedRequest) -> HttpResponse:
    row = engine_services.matching_settings_get()
    form = WeightsForm(request.POST, instance=MatchingSettings.objects.get(pk=row.pk))
    if not form.is_valid():
        return render(
            request,
            "matching/engine.html",
            {
                "status": selectors.engine_status(),
                "form": form,
                "settings_row": row,
                "can_edit": True,
            },
            status=400,
        )
    cap_before = row.exposure_cap
    try:
        saved = engine_services.matching_settings_update(
            user=request.user,
            data=form.cleaned_data,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("重みを保存しました。次回のマッチング実行から反映されます。"))
        if saved.exposure_cap != cap_before:
            messages.info(
                request, _("表示割合の上限を、次回の実行を待たずに現在の候補の順位へ反映します。")
            )
    return redirect("matching:engine_status")


@staff_required
def fairness(request: AuthenticatedRequest) -> HttpResponse:
    proposed = selectors.fairness_figures(kind="proposed")
    shown = selectors.fairness_figures(kind="shown")
    return render(
        request,
        "matching/fairness.html",
        {
            "proposed": proposed,
            "shown": shown,
            "breakdown": selectors.fairness_breakdown(proposed, shown),
            "cap": selectors.cap_effect_last(),
        },
    )


# ------------------------------------------------------------------------ partner screens


@partner_required
def partner_proposals(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(selectors.proposals_for_partner(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "matching/partner_proposals.html",
        {"page": page, "organization": selectors.partner_organization(request.user)},
    )


@partner_required
def partner_proposal(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    proposal = get_object_or_404(
        proposal_selectors.proposal_for_page().filter(
            pk__in=selectors.proposals_for_partner(request.user)
        ),
        pk=proposal_id,
    )
    form, response = proposal_views.answer_handle(request, proposal, user=request.user)
    if response is not None:
        return response
    return render(
        request,
        "matching/partner_proposal.html",
        proposal_views.page_context(
            proposal,
            form,
            can_answer=request.user.has_perm("matching.answer_proposal", proposal),
        ),
    )
