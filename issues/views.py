"""Screens of the issue database: triage, registration, issue page, map, import/export, public list.

Views only translate HTTP to services/selectors and back; HTMX requests get named partials.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from issues import maps, selectors, services, similarity, tasks
from issues.fields import COLUMNS, REQUIRED_COLUMNS
from issues.forms import (
    BulkAssignForm,
    CoordinatorForm,
    ImportForm,
    IssueForm,
    LinkForm,
    PublicFilterForm,
    ScoresForm,
    SimilarDraftForm,
    StatusForm,
    TriageFilterForm,
    coordinator_label,
)
from issues.models import Issue, IssueLink, IssueLinkKind, IssueStatus, TargetGroup
from issues.priority import priority_explain
from issues.resources import HEADER_ALIASES, issue_row
from issues.templatetags.issue_tags import options_html
from issues.workflow import status_choices_for
from portal import registry
from portal.access import (
    AuthenticatedRequest,
    HtmxRequest,
    coordinator_required,
    public,
    staff_required,
)
from portal.choices import ResourceKind
from portal.imports.services import import_job_start
from portal.imports.views import preview_shown, preview_upload
from portal.models import AccessLog
from portal.once import already_created, create_once
from portal.services import access_log_record
from portal.tabular import csv_bytes, xlsx_bytes

PAGE_SIZE = 50
FILTER_KEYS = (
    "q",
    "ward",
    "field",
    "status",
    "sdg",
    "coordinator",
    "priority_min",
    "priority_max",
    "sort",
)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _query_string(params: QueryDict, *, drop: tuple[str, ...] = ("page",)) -> str:
    pairs = [(k, v) for k, v in params.items() if k in FILTER_KEYS and k not in drop and v]
    return urlencode(pairs)


# --- triage -------------------------------------------------------------------------------


def _filters(params: QueryDict, coordinators) -> tuple[TriageFilterForm, dict]:
    form = TriageFilterForm(params or None, coordinators=coordinators)
    return form, form.filters()


def _row_context(request: HttpRequest, coordinators) -> dict:
    """What every triage row needs, computed once per page (not once per row)."""
    token = get_token(request)
    coordinator_choices = [("", _("未定"))] + [(c.pk, coordinator_label(c)) for c in coordinators]
    score_choices = [(n, str(n)) for n in range(1, 6)]
    return {
        "coordinator_choices": coordinator_choices,
        # Every <select> a row can show, rendered once per page and picked per row.
        "coordinator_options": {
            str(value): options_html(coordinator_choices, value)
            for value, _label in coordinator_choices
        },
        "score_options": {str(n): options_html(score_choices, n) for n in range(1, 6)},
        "status_options": {
            status: options_html(status_choices_for(status), status)
            for status in IssueStatus.values
        },
        "hidden_fields": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}">',
            token,
            reverse("issues:triage"),
        ),
        "labels": {
            "urgency": _("緊急度"),
            "importance": _("重要度"),
            "difficulty": _("解決困難度"),
            "status": _("状態"),
            "coordinator": _("担当"),
            "change": _("変更"),
            "select": _("を選択"),
            "no_ward": _("区を問わない"),
            "undecided": _("未定"),
        },
        "can_create": request.user.has_perm("issues.create_issue"),
    }


def _triage_context(request: HttpRequest, params: QueryDict) -> dict:
    coordinators = selectors.assignable_coordinators()
    form, filters = _filters(params, coordinators)
    qs = selectors.issues_filter(**filters)
    page = Paginator(selectors.triage_rows(qs), PAGE_SIZE).get_page(params.get("page"))
    rows = list(page.object_list)
    user = request.user
    for issue in rows:
        issue.can_edit = user.has_perm("issues.edit_issue", issue)
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "coordinators": coordinators,
        "query": _query_string(params),
        **_row_context(request, coordinators),
    }


@staff_required
@vary_on_headers("HX-Request")
def triage(request: AuthenticatedRequest) -> HttpResponse:
    context = _triage_context(request, request.GET)
    if request.htmx and not request.htmx.boosted:
        return render(request, "issues/triage.html#results", context)
    return render(request, "issues/triage.html", context)


def _row_response(
    request: HttpRequest, issue: Issue, *, error: str = "", notice: str = ""
) -> HttpResponse:
    issue = selectors.issue_detail(issue.pk)
    issue.can_edit = request.user.has_perm("issues.edit_issue", issue)
    issue.status_choices = status_choices_for(issue.status)
    return render(
        request,
        "issues/triage.html#row",
        {
            "issue": issue,
            **_row_context(request, selectors.assignable_coordinators()),
            "row_error": error,
            "row_notice": notice,
        },
    )


def _back(request: HttpRequest, issue: Issue) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("issues:detail", pk=issue.pk)


@require_POST
@coordinator_required
def issue_change(request: AuthenticatedRequest, pk: int, what: str) -> HttpResponse:
    """Inline change of status, scores or coordinator (triage row or issue page)."""
    issue = get_object_or_404(Issue, pk=pk)
    forms = {"status": StatusForm, "scores": ScoresForm, "coordinator": CoordinatorForm}
    if what not in forms:
        raise Http404
    if not request.user.has_perm("issues.edit_issue", issue):
        raise PermissionDenied(services.edit_refusal(issue))
    form = forms[what](request.POST)
    error = notice = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        data = form.cleaned_data
        version = data.get("version")
        try:
            if what == "status":
                services.issue_status_change(
                    issue=issue, status=data["status"], changed_by=request.user, version=version
                )
                notice = _("状態を変更しました。")
            elif what == "scores":
                services.issue_scores_set(
                    issue=issue,
                    urgency=data["urgency"],
                    importance=data["importance"],
                    difficulty=data["difficulty"],
                    changed_by=request.user,
                    version=version,
                )
                notice = _("評価を変更しました（優先度を再計算しました）。")
            else:
                services.issue_coordinator_assign(
                    issue=issue,
                    coordinator=data["coordinator"],
                    changed_by=request.user,
                    version=version,
                )
                notice = _("担当を変更しました。")
        except ValidationError as exc:  # a conflict (portal.locking.Conflict) included
            error = _errors(exc)
    if request.htmx:
        return _row_response(request, issue, error=error, notice=notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return _back(request, issue)


@require_POST
@coordinator_required
def bulk_assign(request: AuthenticatedRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST)
    if form.is_valid():
        assigned, skipped = services.issues_bulk_assign(
            issue_ids=form.cleaned_data["ids"],
            coordinator=form.cleaned_data["coordinator"],
            assigned_by=request.user,
        )
        messages.success(request, _("%(n)d件の担当を変更しました。") % {"n": assigned})
        if skipped:
            messages.warning(
                request,
                _(
                    "%(n)d件は変更できない課題（他区の課題、または担当でない区を問わない課題）のため変更していません。"
                )
                % {"n": skipped},
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                # ErrorList yields message strings; the stubs say ``ValidationError | str``.
                messages.error(request, cast(str, error))
    target = reverse("issues:triage")
    query = request.POST.get("query", "")
    if query:
        target += "?" + query
    if request.htmx:
        context = _triage_context(request, QueryDict(query))
        context["bulk_messages"] = list(messages.get_messages(request))
        response = render(request, "issues/triage.html#results", context)
        response["HX-Push-Url"] = target
        return response
    return redirect(target)


# --- registration and the issue page --------------------------------------------------------


@coordinator_required
def issue_create(request: AuthenticatedRequest) -> HttpResponse:
    """Coordinators and admins register an issue. A ward coordinator's form starts on their own
    ward: a ward-independent issue is changed only by its registrant, its 担当 and admins
    (issues.permissions.can_edit), so 区を問わない must be chosen, never the default left
    untouched. An admin without a ward starts on 区を問わない."""
    form = IssueForm(request.POST or None, initial={"ward": request.user.ward_id})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            once = create_once(
                request,
                form,
                name="issues:create",
                create=lambda: services.issue_create(created_by=request.user, data=data),
                url=lambda issue: reverse("issues:detail", args=[issue.pk]) + "?saved=1#similar",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if once.repeated:
                return already_created(request, once)
            messages.success(
                request,
                _("課題「%(ref)s」を登録しました。似ている課題を確認してください。")
                % {"ref": cast(Issue, once.created).ref},
            )
            return redirect(once.url)
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/form.html", {"form": form, "issue": None}, status=status)


@coordinator_required
def issue_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(Issue.objects.select_related("ward", "field"), pk=pk)
    if not request.user.has_perm("issues.edit_issue", issue):
        raise PermissionDenied(services.edit_refusal(issue))
    form = IssueForm(
        request.POST or None, instance=issue, editing=True, initial={"version": issue.version}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            issue = services.issue_update(
                issue=issue, updated_by=request.user, data=data, version=version
            )
        except ValidationError as exc:  # a conflict (portal.locking.Conflict) included
            form.add_error(None, exc)
        else:
            messages.success(request, _("課題を更新しました。"))
            return redirect(reverse("issues:detail", args=[issue.pk]) + "?saved=1#similar")
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/form.html", {"form": form, "issue": issue}, status=status)


@staff_required
def issue_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        issue = selectors.issue_detail(pk)
    except Issue.DoesNotExist:
        raise Http404 from None
    show_internal = request.user.has_perm("issues.see_internal_note", issue)
    can_edit = request.user.has_perm("issues.edit_issue", issue)
    context = {
        "issue": issue,
        "show_internal": show_internal,
        "can_edit": can_edit,
        "explain": priority_explain(issue),
        "history": selectors.issue_history(issue, include_internal=show_internal),
        "links": selectors.issue_links(issue),
        "status_choices": status_choices_for(issue.status),
        "coordinators": selectors.assignable_coordinators() if can_edit else [],
        "scores": range(1, 6),
        "saved": request.GET.get("saved") == "1",
        "link_kinds": IssueLinkKind.choices,
        "target_labels": "、".join(_labels(TargetGroup, issue.target_groups)),
        "kind_labels": "、".join(_labels(ResourceKind, issue.desired_resource_kinds)),
        "score_fields": [
            ("urgency", _("緊急度"), issue.urgency),
            ("importance", _("重要度"), issue.importance),
            ("difficulty", _("解決困難度"), issue.difficulty),
        ],
    }
    if context["saved"]:
        context["similar"] = _similar_rows(issue)
    return render(request, "issues/detail.html", context)


def _labels(choices, values) -> list[str]:
    result = []
    for value in values or []:
        try:
            result.append(str(choices(value).label))
        except ValueError:
            result.append(str(value))
    return result


def _similar_rows(issue: Issue) -> list[dict]:
    linked = {entry["other"].pk for entry in selectors.issue_links(issue)}
    return [
        {
            "issue": other,
            "score": score,
            "percent": round(score * 100),
            "linked": other.pk in linked,
        }
        for other, score in similarity.similar_issues(issue)
    ]


@staff_required
@vary_on_headers("HX-Request")
def issue_similar(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(Issue, pk=pk)
    context = {
        "issue": issue,
        "similar": _similar_rows(issue),
        "can_edit": request.user.has_perm("issues.edit_issue", issue),
        "link_kinds": IssueLinkKind.choices,
    }
    if request.htmx:
        return render(request, "issues/detail.html#similar", context)
    return redirect(reverse("issues:detail", args=[issue.pk]) + "?saved=1#similar")


# Fewer characters than this say too little to compare (a title being started).
DRAFT_MIN_CHARACTERS = 4


@require_POST
@coordinator_required
def issue_similar_draft(request: AuthenticatedRequest) -> HttpResponse:
    """Similar issues of every ward for the text being typed on the registration or edit form
    (HTMX, debounced in the form), with ward, status and a link, before anything is saved.

    Who: coordinators and admins, as the form. POST because a description runs to 5,000
    characters. A text that is too short or refused by the form shows the hint, not an error.
    """
    form = SimilarDraftForm(request.POST)
    rows = None
    if form.is_valid():
        data = form.cleaned_data
        if len((data["title"] + data["description"]).strip()) >= DRAFT_MIN_CHARACTERS:
            rows = similarity.similar_issues(
                title=data["title"],
                description=data["description"],
                field_name=data["field"].name if data["field"] else "",
                exclude_ids={data["editing"]} if data["editing"] else set(),
            )
    return render(request, "issues/form.html#draft_similar", {"draft_similar": rows})


@require_POST
@coordinator_required
def link_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(Issue, pk=pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        other = get_object_or_404(Issue, pk=form.cleaned_data["other"])
        try:
            services.issue_link_create(
                issue=issue,
                other=other,
                kind=form.cleaned_data["kind"],
                similarity=form.cleaned_data.get("similarity"),
                created_by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("「%(ref)s」と関連付けました。") % {"ref": other.ref})
    else:
        messages.error(request, _("関連付けの内容が正しくありません。"))
    return redirect("issues:detail", pk=issue.pk)


@require_POST
@coordinator_required
def link_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(IssueLink.objects.select_related("from_issue", "to_issue"), pk=pk)
    back = request.POST.get("issue") or link.from_issue_id
    services.issue_link_delete(link=link, deleted_by=request.user)
    messages.success(request, _("関連付けを解除しました。"))
    return redirect("issues:detail", pk=int(back) if str(back).isdigit() else link.from_issue_id)


# --- map --------------------------------------------------------------------------------


@staff_required
def issue_map(request: AuthenticatedRequest) -> HttpResponse:
    counts = selectors.open_counts_by_ward()
    triage_url = reverse("issues:triage")
    context = {
        "map": maps.ward_map(
            counts=counts, url_for=lambda ward: f"{triage_url}?{urlencode({'ward': ward.code})}"
        ),
        "statuses": [IssueStatus.REVIEWING.label, IssueStatus.OPEN.label],
        "ward_independent": Issue.objects.filter(
            status__in=[IssueStatus.REVIEWING, IssueStatus.OPEN], ward__isnull=True
        ).count(),
    }
    return render(request, "issues/map.html", context)


# --- import / export --------------------------------------------------------------------------


@coordinator_required
def import_issues(request: AuthenticatedRequest) -> HttpResponse:
    """Upload → preview (every row checked, nothing written; a large file by a job with a
    progress page) → confirm (a job, all or nothing)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {
        "form": form,
        "columns": COLUMNS,
        "required": REQUIRED_COLUMNS,
        "aliases": HEADER_ALIASES,
    }
    if request.method == "POST" and request.POST.get("token"):
        # Confirmed: the previewed file is imported by a background job (portal.imports).
        job = import_job_start(
            request=request,
            user=request.user,
            kind="issues",
            token=request.POST["token"],
            task=tasks.issues_import_job,
        )
        if job is None:
            messages.error(
                request, _("確認の有効期限が切れました。もう一度ファイルを選んでください。")
            )
            return redirect("issues:import")
        return redirect("portal:import_job", job.pk)
    if request.method == "GET" and "preview" in request.GET:
        # A large file's preview, checked by a job (portal.imports): shown as a small one's.
        shown = preview_shown(request, kind="issues")
        if isinstance(shown, HttpResponse):
            return shown
        context.update(shown)
        return render(request, "issues/import.html", context)
    if request.method == "POST" and form.is_valid():
        return preview_upload(
            request,
            form,
            kind="issues",
            task=tasks.issues_preview_job,
            read=tasks.issues_sheet,
            check=lambda dataset: services.issues_import(
                dataset=dataset, imported_by=request.user, dry_run=True
            ),
            row=dict,
            template="issues/import.html",
            context=context,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "issues/import.html", context, status=status)


@staff_required
def export_issues(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    """The issues matching the triage filters, in the import's own columns."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    _form, filters = _filters(request.GET, selectors.assignable_coordinators())
    rows = [
        issue_row(issue)
        for issue in selectors.issues_for_export(selectors.issues_filter(**filters))
    ]
    access_log_record(
        kind=AccessLog.Kind.EXPORT,
        request=request,
        detail=f"issues {fmt} rows={len(rows)} {_query_string(request.GET)}"[:500],
    )
    if fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(headers=COLUMNS, rows=rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            csv_bytes(headers=COLUMNS, rows=rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="issues.{fmt}"'
    return response


# --- public -----------------------------------------------------------------------------

PUBLIC_PAGE_SIZE = 30
PUBLIC_FILTER_KEYS = ("q", "ward", "field", "status")


@public
@vary_on_headers("HX-Request")
def public_list(request: HtmxRequest) -> HttpResponse:
    """Anyone: 募集中・連携中・解決 issues, 30 a page, filtered by ward, field, status and words.

    An HTMX request (the filters, the page links) gets the results partial; the address bar
    follows (hx-push-url), and every link also works as a plain link.
    """
    form = PublicFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.public_issues_filter(
        ward=data.get("ward"),
        field=data.get("field"),
        status=data.get("status", ""),
        q=data.get("q", ""),
    )
    page = Paginator(qs, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k in PUBLIC_FILTER_KEYS and v])
    context = {"form": form, "page": page, "rows": list(page.object_list), "query": query}
    if request.htmx and not request.htmx.boosted:
        return render(request, "issues/public.html#results", context)
    public_url = reverse("issues:public")
    context["map"] = maps.ward_map(
        counts=selectors.open_counts_by_ward(statuses=(IssueStatus.OPEN,)),
        url_for=lambda ward: (
            f"{public_url}?{urlencode({'ward': ward.code, 'status': IssueStatus.OPEN})}#h-list"
        ),
    )
    return render(request, "issues/public.html", context)


@public
def public_detail(request: HttpRequest, ward: str, pk: int) -> HttpResponse:
    """Anyone: one 募集中・連携中・解決 issue in plain language, its progress, what came of it
    (sections of the apps above: the collaboration project and its published results) and how
    to take part. Nothing internal: no scores, coordinator, evidence, notes or people.

    Any other issue, or this one under another ward's address, answers 404.
    """
    try:
        issue = selectors.public_issue(pk=pk, ward_key=ward)
    except Issue.DoesNotExist:
        raise Http404 from None
    context = {
        "issue": issue,
        "steps": selectors.public_status_steps(issue),
        "sections": registry.sections_for("issues.public_detail", issue),
        "target_labels": _labels(TargetGroup, issue.target_groups),
        "kind_labels": _labels(ResourceKind, issue.desired_resource_kinds),
        "is_open": issue.status == IssueStatus.OPEN,
    }
    return render(request, "issues/public_detail.html", context)
