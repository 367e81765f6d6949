"""Staff screens for outside support bodies, coordinator budgets and grants."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matching.projects import selectors, services
from matching.projects.forms import BudgetForm, ExternalSupportForm, GrantForm
from matching.projects.models import CoordinatorBudget, ExternalSupport
from portal.access import (
    AuthenticatedRequest,
    admin_required,
    coordinator_required,
    staff_required,
)
from portal.formtools import form_add_service_errors, messages_service_errors
from portal.models import Role
from portal.once import already_created, create_once


@staff_required
def external_support_list(request: AuthenticatedRequest) -> HttpResponse:
    supports = ExternalSupport.objects.select_related("project").order_by("-created_at")[:200]
    return render(
        request,
        "matching/projects/external_support.html",
        {
            "supports": supports,
            "form": ExternalSupportForm(),
            "can_edit": request.user.role in {Role.COORDINATOR, Role.ADMIN},
        },
    )


@require_POST
@coordinator_required
def external_support_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ExternalSupportForm(request.POST)
    if form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="matching:external_support_new",
                create=lambda: services.external_support_create(
                    data=form.cleaned_data, created_by=request.user
                ),
                url=lambda _support: reverse("matching:external_support_list"),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if once.repeated:
                return already_created(request, once)
            messages.success(request, _("外部支援を記録しました。"))
            return redirect(once.url)
    supports = ExternalSupport.objects.select_related("project").order_by("-created_at")[:200]
    return render(
        request,
        "matching/projects/external_support.html",
        {"supports": supports, "form": form, "can_edit": True},
        status=400,
    )


@coordinator_required
def budget_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    budgets = selectors.budgets_with_balance(user=None if user.role == Role.ADMIN else user)
    return render(
        request,
        "matching/projects/budgets.html",
        {
            "budgets": budgets,
            "form": BudgetForm() if user.role == Role.ADMIN else None,
        },
    )


@require_POST
@admin_required
def budget_set(request: AuthenticatedRequest) -> HttpResponse:
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            services.budget_set(**form.cleaned_data)
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            messages.success(request, _("予算を設定しました。"))
    else:
        for errors in form.errors.values():
            # ErrorList yields message strings; the stubs say ``ValidationError | str``.
            for error in cast("list[str]", errors):
                messages.error(request, error)
    return redirect("matching:budget_list")


@coordinator_required
def budget_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    budget = get_object_or_404(CoordinatorBudget.objects.select_related("coordinator"), pk=pk)
    if request.user.role != Role.ADMIN and budget.coordinator_id != request.user.pk:
        raise Http404
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="matching:grant_award",
                create=lambda: services.grant_award(
                    budget=budget, data=form.cleaned_data, created_by=request.user
                ),
                url=lambda _grant: reverse("matching:budget_detail", args=[budget.pk]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if once.repeated:
                return already_created(request, once)
            messages.success(request, _("助成を記録しました。"))
            return redirect(once.url)
    return render(
        request,
        "matching/projects/budget_detail.html",
        {
            "budget": budget,
            "grants": budget.grants.select_related("project"),
            "remaining": services.budget_remaining(budget),
            "form": form,
        },
    )
