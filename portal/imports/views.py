"""The page of one import job: its state, refreshed by HTMX while it runs."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.vary import vary_on_headers

from portal.access import AuthenticatedRequest, coordinator_required
from portal.imports.selectors import import_jobs_visible


@coordinator_required
@vary_on_headers("HX-Request")
def import_job_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(import_jobs_visible(request.user), pk=job_id)
    template = "portal/import_job.html"
    if request.htmx:
        return render(request, f"{template}#progress", {"job": job})
    return render(request, template, {"job": job})
