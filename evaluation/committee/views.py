"""Committee screens: members and their background, the rubric, reviews on the rubric, the
committee's opinions. Evaluators and admins only; partners see the committee's result on their
project's page (evaluation.views.project_detail), never a member's own scores."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import selectors
from evaluation.committee import forms, services
from evaluation.committee import selectors as committee_selectors
from evaluation.committee.models import RubricCriterion
from evaluation.forms import PeriodForm
from evaluation.views import project_form_post
from portal.access import AuthenticatedRequest, evaluator_required
from portal.fiscal import fiscal_year_label
from portal.formtools import messages_form_errors, messages_service_errors
from portal.once import create_once, created_redirect


@evaluator_required
def committee(request: AuthenticatedRequest) -> HttpResponse:
    """Members (add one), the rubric, the 年度's overall opinion and the scores by project."""
    form = forms.CommitteeMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="evaluation:committee-member",
                create=lambda: services.committee_member_create(data=form.cleaned_data),
                url=lambda _member: reverse("evaluation:committee"),
            )
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            return created_redirect(request, once, _("委員を登録しました。"))
    fiscal_year, _ward = PeriodForm(request.GET or None).period()
    report = committee_selectors.committee_report(fiscal_year=fiscal_year)
    overall = report["overall"]
    criteria = committee_selectors.rubric()
    return render(
        request,
        "evaluation/committee.html",
        {
            "form": form,
            "members": committee_selectors.members_with_conflicts(),
            "composition": report["composition"],
            "criteria": criteria,
            "criterion_forms": [
                (c, forms.CriterionForm(instance=c, prefix=f"c{c.pk}")) for c in criteria
            ],
            "criterion_form": forms.CriterionForm(prefix="new"),
            "criterion_means": report["criteria"],
            "overall": overall,
            "opinion_form": forms.OpinionForm(
                initial={"fiscal_year": fiscal_year, "text": overall.text if overall else ""}
            ),
            "scores": selectors.committee_scores_by_project(fiscal_year=fiscal_year),
            "fiscal_year": fiscal_year,
            "fy_label": fiscal_year_label(fiscal_year),
        },
    )


@require_POST
@evaluator_required
def criterion_save(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    criterion = get_object_or_404(RubricCriterion, pk=pk) if pk else None
    form = forms.CriterionForm(
        request.POST, instance=criterion, prefix=f"c{pk}" if criterion else "new"
    )
    if not form.is_valid():
        messages_form_errors(request, form)
        return redirect(reverse("evaluation:committee") + "#rubric")
    try:
        services.criterion_save(data=form.cleaned_data, criterion=criterion)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("評価観点を保存しました。"))
    return redirect(reverse("evaluation:committee") + "#rubric")


@require_POST
@evaluator_required
def opinion_save(request: AuthenticatedRequest) -> HttpResponse:
    """The committee's overall opinion (総評) on a 年度."""
    form = forms.OpinionForm(request.POST)
    target = reverse("evaluation:committee") + "#opinion"
    if not form.is_valid():
        messages_form_errors(request, form)
        return redirect(target)
    try:
        once = create_once(
            request,
            form,
            name="evaluation:committee-opinion",
            create=lambda: services.opinion_save(updated_by=request.user, **form.cleaned_data),
            url=lambda opinion: f"{target[: -len('#opinion')]}?fy={opinion.fiscal_year}#opinion",
        )
    except ValidationError as exc:
        messages_service_errors(request, exc)
        return redirect(target)
    return created_redirect(request, once, _("委員会の意見を保存しました。"))


@require_POST
@evaluator_required
def project_opinion_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The committee's opinion on one project for a 年度 (its partners see it)."""
    return project_form_post(
        request,
        pk,
        form_class=forms.OpinionForm,
        anchor="#reviews",
        save=lambda project, data: services.opinion_save(
            project=project, updated_by=request.user, **data
        ),
        success=_("委員会の意見を保存しました。"),
    )


@require_POST
@evaluator_required
def review_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A member's review of the project on the rubric (a score and a comment per criterion)."""
    criteria = committee_selectors.active_criteria()

    def save(project, data):
        services.review_submit(
            project=project,
            member=data["member"],
            kind=data["kind"],
            fiscal_year=data["fiscal_year"],
            scores={c: (data[f"score_{c.pk}"], data.get(f"note_{c.pk}", "")) for c in criteria},
            comment=data["comment"],
            recommendations=data["recommendations"].splitlines(),
            action_due_date=data["action_due_date"],
        )

    return project_form_post(
        request,
        pk,
        form_class=forms.ReviewForm,
        form_kwargs={"criteria": criteria},
        anchor="#reviews",
        save=save,
        success=_("外部評価を登録しました。"),
    )


@require_POST
@evaluator_required
def conflict_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return project_form_post(
        request,
        pk,
        form_class=forms.ConflictForm,
        anchor="#reviews",
        save=lambda project, data: services.conflict_declare(project=project, **data),
        success=_("利益相反の申告を登録しました。"),
    )
