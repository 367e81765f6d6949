"""Screens of the evaluation reports (the public results page is evaluation.public)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation import forms, services
from evaluation.models import (
    ReportFile,
)
from evaluation.report import csv_language, report_csv, report_file_response, report_filename
from portal.access import (
    AuthenticatedRequest,
    evaluator_required,
    staff_required,
)
from portal.fiscal import current_fiscal_year
from portal.formtools import messages_form_errors, messages_service_errors
from portal.models import AccessLog
from portal.services import access_log_record


@evaluator_required
def reports(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.ReportRequestForm(
        request.POST or None, initial={"fiscal_year": current_fiscal_year(), "format": "pdf"}
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.report_request(
                    fiscal_year=data["fiscal_year"],
                    quarter=data["quarter"],
                    fmt=data["format"],
                    ward=data["ward"],
                    created_by=request.user,
                    lang=csv_language(data["language"]),
                )
            except ValidationError as exc:  # e.g. no Japanese font for a PDF on this server
                messages_service_errors(request, exc)
            else:
                messages.success(
                    request, _("報告書の作成を受け付けました。完了するとダウンロードできます。")
                )
                return redirect(reverse("evaluation:reports") + f"#report-{report.pk}")
        else:
            messages_form_errors(request, form)
    return render(
        request,
        "evaluation/reports.html",
        {"form": form, "reports": ReportFile.objects.select_related("ward", "created_by")[:50]},
    )


@evaluator_required
def report_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ReportFile, pk=pk)
    return render(request, "evaluation/reports.html#report_row", {"report": report})


@evaluator_required
def report_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    report = get_object_or_404(ReportFile, pk=pk)
    if report.status != ReportFile.Status.DONE or not report.file:
        raise Http404
    access_log_record(
        kind=AccessLog.Kind.EXPORT, request=request, detail=f"evaluation report {report.pk}"
    )
    return report_file_response(report)


@require_POST
@evaluator_required
def report_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(ReportFile, pk=pk)
    publish = request.POST.get("publish") != "0"
    try:
        services.report_publish(report=report, published=publish)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("公開しました。") if publish else _("公開を取り消しました。"))
    return redirect("evaluation:reports")


@staff_required
def report_csv_download(request: AuthenticatedRequest) -> HttpResponse:
    """The KPI CSV of a 年度 straight away (small; no worker needed).

    Headed in the UI language, or in ``?lang=ja|en`` when given (an unknown value is ignored).
    """
    period = forms.PeriodForm(request.GET or None)
    fiscal_year, ward = period.period()
    lang = csv_language(request.GET.get("lang"))
    access_log_record(
        kind=AccessLog.Kind.EXPORT, request=request, detail=f"KPI CSV FY{fiscal_year} {lang}"
    )
    response = HttpResponse(
        report_csv(fiscal_year=fiscal_year, ward=ward, lang=lang),
        content_type="text/csv; charset=utf-8",
    )
    name = report_filename(fiscal_year=fiscal_year, quarter=None, fmt="csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
