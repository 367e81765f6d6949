"""Project screens (連携事業: list, entry, page with status, period, costs, progress, documents
and problems) and the staff screens for outside support bodies, coordinator budgets and grants.

Who sees a project and who may change what: matching/permissions.py. Another ward's project
answers 404 to a coordinator; a form a person may not use is neither shown nor accepted (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from matching.projects import activity, selectors, services
from matching.projects.forms import (
    BudgetForm,
    CostsForm,
    DocumentForm,
    ExternalSupportForm,
    GrantForm,
    ProblemForm,
    ProblemUpdateForm,
    ProgressForm,
    ProjectCreateForm,
    ProjectEditForm,
    StatusForm,
)
from matching.projects.models import (
    CoordinatorBudget,
    ExternalSupport,
    Project,
    ProjectDocument,
    ProjectProblem,
)
from portal.access import (
    AuthenticatedRequest,
    admin_required,
    coordinator_required,
    partner_required,
    role_required,
    signed_in_required,
    staff_required,
)
from portal.formtools import (
    form_add_service_errors,
    messages_form_errors,
    messages_service_errors,
)
from portal.models import AccessLog, Role, Ward
from portal.once import create_once, created_redirect
from portal.permissions import permission_or_refuse
from portal.services import access_log_record

# Those who may run a project at all; matching.manage_project then decides which projects.
project_staff_required = role_required(Role.COORDINATOR, Role.EVALUATOR, Role.ADMIN)


# --- projects ---------------------------------------------------------------------------------


def _project(request: AuthenticatedRequest, pk: int, *, manage: bool = False) -> Project:
    """The project ``pk`` if the person may see it (404 otherwise, so another ward's or
    organisation's project stays unseen); with ``manage``, also run it (403 otherwise)."""
    project = get_object_or_404(
        Project.objects.select_related("ward", "field", "coordinator"), pk=pk
    )
    permission_or_refuse(request.user, "matching.view_project", project, hidden=True)
    if manage:
        permission_or_refuse(request.user, "matching.manage_project", project)
    return project


def _to_project(project: Project, anchor: str = "") -> HttpResponse:
    return redirect(reverse("matching:project_detail", args=[project.pk]) + anchor)


@vary_on_headers("HX-Request")
@signed_in_required
def project_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Project.Status.values else ""
    ward = Ward.objects.filter(code=request.GET.get("ward", "")).first()
    projects = list(
        selectors.project_list(
            user=request.user, status=status, ward=ward, query=request.GET.get("q", "")[:100]
        )[:200]
    )
    context = {
        "projects": projects,
        "statuses": Project.Status.choices,
        "status": status,
        "wards": Ward.objects.order_by("code"),
        "ward": ward,
        "query": request.GET.get("q", "")[:100],
        "can_create": request.user.role in {Role.COORDINATOR, Role.ADMIN},
    }
    if request.htmx:
        return render(request, "matching/projects/list.html#rows", context)
    return render(request, "matching/projects/list.html", context)


@coordinator_required
def project_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            once = create_once(
                request,
                form,
                name="matching:project_create",
                create=lambda: services.project_create(
                    title=data["title"],
                    summary=data["summary"],
                    issues=list(data["issues"]),
                    organizations=list(data["organizations"]),
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    ward=data["ward"],
                    field=data["issues"][0].field if data["issues"] else None,
                    coordinator=data["coordinator"],
                    created_by=request.user,
                ),
                url=lambda project: reverse("matching:project_detail", args=[project.pk]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return created_redirect(request, once, _("連携事業を登録しました。"))
    return render(
        request,
        "matching/projects/form.html",
        {"form": form, "heading": _("連携事業を登録"), "button": _("登録する")},
    )


def _problem_forms(problems: list[ProjectProblem], manager: bool) -> list:
    return [
        (
            problem,
            ProblemUpdateForm(problem=problem, prefix=f"problem-{problem.pk}") if manager else None,
        )
        for problem in problems
    ]


@signed_in_required
def project_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = request.user
    manager = user.has_perm("matching.manage_project", project)
    reporter = user.has_perm("matching.report_progress", project)
    adder = user.has_perm("matching.add_to_project", project)
    problems = list(
        project.problems.select_related("raised_by", "assigned_to", "organization", "resolved_by")
    )
    grants = list(project.grants.select_related("budget__coordinator"))
    return render(
        request,
        "matching/projects/detail.html",
        {
            "project": project,
            "issues": list(project.issues.order_by("ref")),
            "organizations": list(project.organizations.order_by("name")),
            "changes": list(project.status_changes.select_related("changed_by")),
            "cost_rows": selectors.project_cost_rows(project),
            "grants": grants,
            "granted": sum(g.amount for g in grants),
            "reports": list(project.progress_reports.select_related("organization", "reported_by")),
            "documents": list(project.documents.select_related("uploaded_by", "organization")),
            "problems": _problem_forms(problems, manager),
            "manager": manager,
            "reporter": reporter,
            "adder": adder,
            "locked_reason": activity.project_locked_reason(user, project),
            "status_form": StatusForm(project=project) if manager else None,
            "progress_form": ProgressForm() if reporter else None,
            "document_form": DocumentForm() if adder else None,
            "problem_form": ProblemForm() if adder else None,
        },
    )


@project_staff_required
def project_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, manage=True)
    form = ProjectEditForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                project=project, data=form.cleaned_data, changed_by=request.user
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("連携事業を更新しました。"))
            return _to_project(project)
    return render(
        request,
        "matching/projects/form.html",
        {
            "form": form,
            "project": project,
            "heading": _("期間・概要を編集"),
            "button": _("保存する"),
        },
    )


@require_POST
@project_staff_required
def project_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, manage=True)
    form = StatusForm(request.POST, project=project)
    if not form.is_valid():
        messages_form_errors(request, form)
        return _to_project(project, "#status")
    data = form.cleaned_data
    try:
        services.project_status_change(
            project=project,
            status=data["status"],
            changed_by=request.user,
            on=data["changed_on"],
            note=data["note"],
        )
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(
            request,
            _("状態を「%(status)s」に変更しました。") % {"status": project.get_status_display()},
        )
    return _to_project(project, "#status")


@project_staff_required
def project_costs(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, manage=True)
    form = CostsForm(request.POST or None, rows=selectors.project_cost_rows(project))
    if request.method == "POST" and form.is_valid():
        try:
            services.project_costs_set(
                project=project, parties=form.parties(), changed_by=request.user
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("費用分担を保存しました。"))
            return _to_project(project, "#costs")
    return render(
        request,
        "matching/projects/costs.html",
        {
            "project": project,
            "form": form,
            "rows": form.field_rows(),
            "grants": list(project.grants.select_related("budget__coordinator")),
        },
    )


def _add_from_form(
    request: AuthenticatedRequest,
    pk: int,
    *,
    perm: str,
    form_class,
    anchor: str,
    create: Callable[[Project, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The shape of the project page's add forms: the project if seen (404), the permission the
    form is shown with (403), then validate, create once per form token, back to the section."""
    project = _project(request, pk)
    if not request.user.has_perm(perm, project):
        raise activity.project_write_refusal(request.user, project)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        messages_form_errors(request, form)
        return _to_project(project, anchor)
    try:
        once = create_once(
            request,
            form,
            name=request.resolver_match.view_name if request.resolver_match else perm,
            create=lambda: create(project, form.cleaned_data),
            url=lambda _row: reverse("matching:project_detail", args=[project.pk]) + anchor,
        )
    except ValidationError as exc:
        messages_service_errors(request, exc)
        return _to_project(project, anchor)
    return created_redirect(request, once, done)


@require_POST
@partner_required
def project_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _add_from_form(
        request,
        pk,
        perm="matching.report_progress",
        form_class=ProgressForm,
        anchor="#progress",
        create=lambda project, data: activity.progress_report_add(
            project=project, user=request.user, data=data
        ),
        done=_("進捗を報告しました。"),
    )


@require_POST
@signed_in_required
def project_document_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _add_from_form(
        request,
        pk,
        perm="matching.add_to_project",
        form_class=DocumentForm,
        anchor="#documents",
        create=lambda project, data: activity.project_document_add(
            project=project, user=request.user, title=data["title"], upload=data["file"]
        ),
        done=_("資料を登録しました。"),
    )


@require_POST
@signed_in_required
def project_problem_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _add_from_form(
        request,
        pk,
        perm="matching.add_to_project",
        form_class=ProblemForm,
        anchor="#problems",
        create=lambda project, data: activity.problem_raise(
            project=project, user=request.user, data=data
        ),
        done=_("課題を登録しました。担当コーディネーターに通知しました。"),
    )


@signed_in_required
def project_document(request: AuthenticatedRequest, pk: int, document_id: int) -> FileResponse:
    project = _project(request, pk)
    document = get_object_or_404(ProjectDocument, pk=document_id, project=project)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None  # the record outlived its file (a restored database)
    access_log_record(
        kind=AccessLog.Kind.EXPORT, request=request, detail=f"project document {document.pk}"
    )
    # Always a download, with the type its bytes were checked to be: never shown inline.
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@require_POST
@project_staff_required
def project_problem_update(request: AuthenticatedRequest, pk: int, problem_id: int) -> HttpResponse:
    project = _project(request, pk, manage=True)
    problem = get_object_or_404(ProjectProblem, pk=problem_id, project=project)
    form = ProblemUpdateForm(request.POST, problem=problem, prefix=f"problem-{problem.pk}")
    anchor = f"#problem-{problem.pk}"
    if not form.is_valid():
        messages_form_errors(request, form)
        return _to_project(project, anchor)
    try:
        activity.problem_update(
            problem=problem,
            user=request.user,
            status=form.cleaned_data["status"],
            resolution=form.cleaned_data["resolution"],
        )
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("対応状況を更新しました。"))
    return _to_project(project, anchor)


# --- outside support, budgets and grants ------------------------------------------------------


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
            return created_redirect(request, once, _("外部支援を記録しました。"))
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
            return created_redirect(request, once, _("助成を記録しました。"))
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
