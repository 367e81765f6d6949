"""The public results pages: published reports (figures and files), published case studies
and each public collaboration project. Anyone may open them; nothing internal is shown."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from evaluation.models import CaseFactor
from evaluation.public import selectors
from evaluation.report import report_file_response
from matching.projects.models import Project
from portal.access import public


@public
def public_results(request: HttpRequest) -> HttpResponse:
    """公開: the published reports per 年度 (figures and PDF/CSV files) and published cases."""
    return render(
        request,
        "evaluation/public.html",
        {
            "years": selectors.published_years(),
            "cases": list(selectors.cases_public()[:50]),
            "factor_names": dict(CaseFactor.choices),
        },
    )


@public
def public_report_download(request: HttpRequest, pk: int) -> FileResponse:
    """A published report file; one not (or no longer) published answers 404."""
    return report_file_response(get_object_or_404(selectors.published_reports(), pk=pk))


@public
def public_project(request: HttpRequest, pk: int) -> HttpResponse:
    """A collaboration project as the public sees it: what it does, with whom, for which public
    issues, and its published results. A project the public may not see answers 404."""
    try:
        project = selectors.public_project(pk)
    except Project.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "evaluation/public_project.html",
        {"project": project, "factor_names": dict(CaseFactor.choices)},
    )
