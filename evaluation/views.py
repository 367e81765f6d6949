"""Evaluation screens. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from evaluation import feed as feeds
from evaluation import forms, measurements, selectors, services, tasks
from evaluation.committee import forms as committee_forms
from evaluation.committee import selectors as committee_selectors
from evaluation.dashboard import gap_chart_data, kpi_dashboard, trend_chart_data
from evaluation.kpi import KPI_BY_CODE, KPI_SPECS, PILLARS, kpi_compute
from evaluation.kpi.targets import default_ward_target, ward_targets_save
from evaluation.models import CaseStudy, ImprovementAction, WardKpiTarget
from evaluation.questionnaires import selectors as questionnaire_selectors
from matching.projects.models import Project
from portal.access import (
    AuthenticatedRequest,
    evaluator_required,
    public,
    role_required,
    signed_in_required,
    staff_required,
)
from portal.fiscal import current_fiscal_year, fiscal_year_label
from portal.formtools import messages_form_errors, messages_service_errors
from portal.imports.views import upload_inline_or_job
from portal.models import Role, Ward
from portal.once import already_created, create_once, created_redirect

EDITORS = {Role.EVALUATOR, Role.ADMIN}
continuation_editor_required = role_required(Role.COORDINATOR, Role.EVALUATOR, Role.ADMIN)
TREND_YEARS = 5


def _is_editor(user) -> bool:
    return user.role in EDITORS


# ---------------------------------------------------------------- dashboard


@vary_on_headers("HX-Request")
@staff_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    period = forms.PeriodForm(request.GET or None)
    fiscal_year, ward = period.period()
    years = list(range(fiscal_year - TREND_YEARS + 1, fiscal_year + 1))
    figures = kpi_dashboard(fiscal_year, ward, years)
    kpis = figures.kpis
    ctx = {
        "period": period,
        "fiscal_year": fiscal_year,
        "fy_label": fiscal_year_label(fiscal_year),
        "ward": ward,
        "pillars": [
            {"number": p, "name": PILLARS[p], "kpis": [k for k in kpis if k.pillar == p]}
            for p in sorted(PILLARS)
        ],
        "trend": trend_chart_data(figures, years),
        "trend_as_of": figures.trend_as_of,
        "as_of": figures.as_of,
        "gap": figures.gap,
        "gap_data": gap_chart_data(figures.gap),
        "payments": figures.payments,
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "evaluation/dashboard.html#results", ctx)
    return render(request, "evaluation/dashboard.html", ctx)


@staff_required
def kpi_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    if code not in KPI_BY_CODE:
        raise Http404
    period = forms.PeriodForm(request.GET or None)
    fiscal_year, ward = period.period()
    result = kpi_compute(code, fiscal_year, ward)
    records = result.records
    if hasattr(records, "model"):
        records = list(records[:500])
    return render(
        request,
        "evaluation/kpi_detail.html",
        {
            "kpi": result,
            "records": records,
            "fy_label": fiscal_year_label(fiscal_year),
            "ward": ward,
            "query": request.GET.urlencode(),
        },
    )


@evaluator_required
def ward_targets(request: AuthenticatedRequest) -> HttpResponse:
    """A ward's KPI targets: the default from the 23-ward target (population share or the same
    rate) beside the ward's own target, which evaluators may set or clear."""
    data = request.POST if request.method == "POST" else request.GET
    ward = Ward.objects.filter(code=data.get("ward") or "").first() or Ward.objects.first()
    specs = [spec for spec in KPI_SPECS if spec.target is not None]
    overrides = {t.code: t for t in WardKpiTarget.objects.filter(ward=ward)}
    initial = {f"t_{c}": t.target for c, t in overrides.items()} | {
        f"n_{c}": t.note for c, t in overrides.items()
    }
    form = forms.WardTargetsForm(
        request.POST or None, initial=initial, codes=[spec.code for spec in specs]
    )
    if request.method == "POST" and ward is not None:
        if form.is_valid():
            changed = ward_targets_save(ward=ward, targets=form.targets(), updated_by=request.user)
            messages.success(
                request,
                ngettext("%(n)d件の目標を更新しました。", "%(n)d件の目標を更新しました。", changed)
                % {"n": changed},
            )
            return redirect(reverse("evaluation:ward_targets") + f"?ward={ward.code}")
        messages_form_errors(request, form)
    rows = [
        {
            "spec": spec,
            "default": default_ward_target(spec, ward) if ward else (spec.target, ""),
            "target_field": form[f"t_{spec.code}"],
            "note_field": form[f"n_{spec.code}"],
        }
        for spec in specs
    ]
    return render(
        request,
        "evaluation/ward_targets.html",
        {"ward": ward, "wards": Ward.objects.all(), "rows": rows, "form": form},
    )


# ---------------------------------------------------------------- projects


@vary_on_headers("HX-Request")
@signed_in_required
def project_list(request: AuthenticatedRequest) -> HttpResponse:
    period = forms.PeriodForm(request.GET or None)
    fiscal_year = ward = None
    if period.is_valid():
        fiscal_year = period.cleaned_data.get("fy")
        ward = period.cleaned_data.get("ward")
    projects = list(
        selectors.project_list(user=request.user, fiscal_year=fiscal_year, ward=ward)[:200]
    )
    ctx = {"period": period, "projects": projects}
    if request.htmx:
        return render(request, "evaluation/project_list.html#rows", ctx)
    return render(request, "evaluation/project_list.html", ctx)


def _project_context(request: AuthenticatedRequest, project: Project, **extra) -> dict:
    indicators = selectors.project_indicators(project=project)
    editor = _is_editor(request.user)
    ctx = {
        "project": project,
        "organizations": list(project.organizations.all()),
        "indicators": indicators,
        "chart_data": selectors.indicator_chart_data(indicators),
        "surveys": list(project.surveys.all()[:50]),
        # Members' own scores are for staff; partners see the committee's result only.
        "reviews": list(committee_selectors.reviews_with_scores(project=project))
        if request.user.is_ward_staff
        else [],
        "committee_results": committee_selectors.project_results(project=project),
        "questionnaires": list(questionnaire_selectors.project_questionnaires(project=project))
        if request.user.is_ward_staff
        else [],
        "continuations": list(project.continuations.all()),
        "payments": selectors.payment_statuses(project=project),
        "cases": list(project.cases.all()),
        "conflicts": list(project.conflicts.select_related("member")) if editor else [],
        "feeds": list(project.device_feeds.all()) if editor else [],
        "editor": editor,
        "can_record_continuation": request.user.has_perm("evaluation.record_continuation", project),
        "can_converse": request.user.has_perm("matching.view_conversation", project),
        "due": {
            1: services.continuation_due_date(project=project, years=1),
            2: services.continuation_due_date(project=project, years=2),
        },
    }
    if editor:
        ctx.update(
            {
                "indicator_form": forms.IndicatorAddForm(),
                "measurement_form": forms.MeasurementForm(indicators=indicators),
                "upload_form": forms.MeasurementUploadForm(),
                "survey_form": forms.SurveyForm(initial={"answered_on": timezone.localdate()}),
                "review_form": committee_forms.ReviewForm(
                    initial={"fiscal_year": current_fiscal_year()},
                    criteria=committee_selectors.active_criteria(),
                ),
                "conflict_form": committee_forms.ConflictForm(),
                "opinion_form": committee_forms.OpinionForm(
                    initial={"fiscal_year": current_fiscal_year()}
                ),
                "payment_form": forms.PaymentForm(project=project),
                "feed_form": forms.DeviceFeedForm(),
            }
        )
    if ctx["can_record_continuation"]:
        ctx["continuation_form"] = forms.ContinuationForm()
    ctx.update(extra)
    return ctx


@signed_in_required
def project_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = selectors.project_for_user(user=request.user, pk=pk)
    return render(request, "evaluation/project_detail.html", _project_context(request, project))


def _editable_project(request: HttpRequest, pk: int) -> Project:
    return get_object_or_404(Project, pk=pk)


def _back(project: Project, anchor: str = "") -> HttpResponse:
    return redirect(reverse("evaluation:project_detail", args=[project.pk]) + anchor)


def project_form_post(
    request: HttpRequest,
    pk: int,
    *,
    form_class,
    anchor: str,
    save,
    success: str = "",
    form_kwargs: dict | None = None,
    by_content: bool = True,
) -> HttpResponse:
    """The shared shape of the project page's small forms: validate, call one service, go back.

    ``save(project, data)`` calls the service; it may return a success message of its own (a
    str; anything else it returns, such as the record made, leaves ``success`` shown).
    ``by_content`` as in ``create_once``. A form or service error is shown as a message and
    nothing is stored.
    """
    project = _editable_project(request, pk)
    form = form_class(request.POST, **(form_kwargs or {}))
    if not form.is_valid():
        messages_form_errors(request, form)
        return _back(project, anchor)
    try:
        once = create_once(
            request,
            form,
            name=f"evaluation:{form_class.__name__}:{project.pk}",
            create=lambda: save(project, form.cleaned_data),
            url=lambda _made: reverse("evaluation:project_detail", args=[project.pk]) + anchor,
            by_content=by_content,
        )
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        if once.repeated:
            return already_created(request, once)
        # The service's own message, never the text of the record it made (「2026-11-28 住民 5」).
        messages.success(request, once.created if isinstance(once.created, str) else success)
    return _back(project, anchor)


@require_POST
@evaluator_required
def indicator_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(project, data):
        indicator = services.project_indicator_add(
            project=project,
            definition=data["definition"],
            data={k: v for k, v in data.items() if k != "definition"},
        )
        return _("指標「%(name)s」を追加しました。") % {"name": indicator.name}

    return project_form_post(
        request, pk, form_class=forms.IndicatorAddForm, anchor="#indicators", save=save
    )


@require_POST
@evaluator_required
def measurement_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def save(project, data):
        measurements.measurement_record(
            project=project,
            indicator=data["indicator"],
            measured_on=data["measured_on"],
            value=data["value"],
            text=data["text"],
            recorded_by=request.user,
        )

    return project_form_post(
        request,
        pk,
        form_class=forms.MeasurementForm,
        anchor="#measurements",
        save=save,
        success=_("測定値を登録しました。"),
    )


@require_POST
@evaluator_required
def measurement_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Evaluators: a measurements file imported into the project, all or nothing. A file over
    IMPORT_PREVIEW_INLINE_BYTES is imported by a job with a progress page (portal.imports), as
    the issue and resource imports check theirs; a smaller one here."""
    project = _editable_project(request, pk)
    form = forms.MeasurementUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages_form_errors(request, form)
        return _back(project, "#measurements")
    data = form.cleaned_data["file"].read()

    def inline() -> HttpResponse:
        result = measurements.measurements_import_csv(
            project=project, data=data, recorded_by=request.user
        )
        if result.errors:
            messages.error(request, _("取り込みませんでした（1件も登録していません）。"))
            for error in result.errors[:30]:
                messages.error(request, error)
        else:
            messages.success(
                request, _("%(n)d件の測定値を取り込みました。") % {"n": len(result.created)}
            )
            if result.duplicates:
                messages.info(
                    request,
                    ngettext(
                        "%(n)d行は同じ測定値が登録済みのため、取り込みませんでした。",
                        "%(n)d行は同じ測定値が登録済みのため、取り込みませんでした。",
                        result.duplicates,
                    )
                    % {"n": result.duplicates},
                )
        return _back(project, "#measurements")

    return upload_inline_or_job(
        request,
        kind="measurements",
        data=data,
        task=tasks.measurements_import_job,
        inline=inline,
        preview=False,
        subject=project.pk,
    )


@require_POST
@evaluator_required
def survey_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return project_form_post(
        request,
        pk,
        form_class=forms.SurveyForm,
        anchor="#surveys",
        save=lambda project, data: services.survey_response_record(project=project, **data),
        success=_("満足度調査の回答を登録しました。"),
        # Paper questionnaires typed in: two residents may well have given the same answer.
        by_content=False,
    )


@require_POST
@continuation_editor_required
def continuation_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return project_form_post(
        request,
        pk,
        form_class=forms.ContinuationForm,
        anchor="#continuation",
        save=lambda project, data: services.continuation_record(
            project=project, recorded_by=request.user, **data
        ),
        success=_("継続状況を記録しました。"),
    )


@require_POST
@evaluator_required
def payment_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _editable_project(request, pk)
    return project_form_post(
        request,
        pk,
        form_class=forms.PaymentForm,
        form_kwargs={"project": project},
        anchor="#payments",
        save=lambda project, data: services.payment_schedule_add(project=project, **data),
        success=_("成果連動支払の条件を追加しました。"),
    )


@require_POST
@evaluator_required
def feed_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = _editable_project(request, pk)
    form = forms.DeviceFeedForm(request.POST)
    if not form.is_valid():
        messages_form_errors(request, form)
        return _back(project, "#feeds")
    once = create_once(
        request,
        form,
        name="evaluation:feed",
        create=lambda: feeds.device_feed_create(project=project, name=form.cleaned_data["name"]),
        url=lambda _made: reverse("evaluation:project_detail", args=[project.pk]) + "#feeds",
    )
    if once.repeated or once.created is None:
        return already_created(request, once)
    feed, token = once.created
    # The token is shown once, on this response only; only its hash is stored.
    ctx = _project_context(request, project, new_token=token, new_feed=feed)
    response = render(request, "evaluation/project_detail.html", ctx)
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- device / app feed


@csrf_exempt
@require_POST
@public
def device_measurements(request: HttpRequest) -> JsonResponse:
    """POST JSON with ``Authorization: Bearer <token>`` of a project's feed.

    Body: {"indicator": id-or-name, "date": "YYYY-MM-DD", "value": 12.5} or
    {"measurements": [ ... ]}; all or nothing. CSRF-exempt because it authenticates by token
    and never by cookie.
    """
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    device_feed = feeds.device_feed_authenticate(token=token)
    if device_feed is None:
        response = JsonResponse({"ok": False, "errors": [_("認証に失敗しました。")]}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    answer = feeds.feed_body_too_large(request.META.get("CONTENT_LENGTH")) or feeds.feed_receive(
        feed=device_feed,
        body=request.body,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return JsonResponse(answer.body, status=answer.status)


# ---------------------------------------------------------------- improvement actions


@vary_on_headers("HX-Request")
@staff_required
def action_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in ImprovementAction.Status.values:
        status = None
    actions = list(selectors.actions_for(status=status)[:300])
    ctx = {
        "actions": actions,
        "status": status,
        "statuses": ImprovementAction.Status.choices,
        "editor": _is_editor(request.user),
    }
    if request.htmx:
        return render(request, "evaluation/actions.html#table", ctx)
    return render(request, "evaluation/actions.html", ctx)


@require_POST
@evaluator_required
def action_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        ImprovementAction.objects.select_related("review__project", "review__member"), pk=pk
    )
    form = forms.ActionUpdateForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            action = services.improvement_action_update(action=action, **form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
            action.refresh_from_db()
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:
        return render(
            request,
            "evaluation/actions.html#row",
            {
                "action": action,
                "editor": True,
                "row_error": error,
                "statuses": ImprovementAction.Status.choices,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("改善アクションを更新しました。"))
    return redirect("evaluation:actions")


# ---------------------------------------------------------------- continuation


@staff_required
def continuation_list(request: AuthenticatedRequest) -> HttpResponse:
    ward = request.user.ward if request.user.role == Role.COORDINATOR else None
    return render(
        request,
        "evaluation/continuation.html",
        {"due": selectors.continuation_due(ward=ward), "ward": ward},
    )


# ---------------------------------------------------------------- case library


@signed_in_required
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/case_list.html",
        {"cases": selectors.cases_for(user=request.user), "editor": _is_editor(request.user)},
    )


@signed_in_required
def case_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = selectors.cases_for(user=request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    editor = _is_editor(request.user)
    return render(
        request,
        "evaluation/case_detail.html",
        {
            "case": case,
            "reuses": list(case.reuses.select_related("ward")),
            "editor": editor,
            "reuse_form": forms.CaseReuseForm(initial={"reused_on": timezone.localdate()})
            if editor
            else None,
            "factor_names": dict(forms.CaseFactor.choices),
        },
    )


@evaluator_required
def case_edit(
    request: AuthenticatedRequest, project_pk: int, pk: int | None = None
) -> HttpResponse:
    project = get_object_or_404(Project, pk=project_pk)
    case = get_object_or_404(CaseStudy, pk=pk, project=project) if pk else None
    form = forms.CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="evaluation:case",
                create=lambda: services.case_save(
                    project=project, data=form.cleaned_data, case=case
                ),
                url=lambda saved: reverse("evaluation:case_detail", args=[saved.pk]),
            )
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            return created_redirect(request, once, _("事例を保存しました。"))
    return render(
        request, "evaluation/case_form.html", {"form": form, "project": project, "case": case}
    )


@require_POST
@evaluator_required
def case_reuse_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(CaseStudy.objects.select_related("project"), pk=pk)
    form = forms.CaseReuseForm(request.POST)
    if form.is_valid():
        try:
            services.case_reuse_record(case=case, **form.cleaned_data)
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            messages.success(request, _("他区での活用を記録しました。"))
    else:
        messages_form_errors(request, form)
    return redirect("evaluation:case_detail", pk=case.pk)
