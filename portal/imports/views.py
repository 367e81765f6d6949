"""Screens of imports: cancelling a previewed upload, and the page of one import job (its
state, refreshed by HTMX while it runs)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal.access import AuthenticatedRequest, coordinator_required
from portal.imports.selectors import import_jobs_visible
from portal.imports.services import import_job_waiting_too_long
from portal.uploads import import_pending_discard


@coordinator_required
@vary_on_headers("HX-Request")
def import_job_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(import_jobs_visible(request.user), pk=job_id)
    template = "portal/import_job.html"
    context = {"job": job, "waiting_too_long": import_job_waiting_too_long(job)}
    if request.htmx:
        return render(request, f"{template}#progress", context)
    return render(request, template, context)


JOBS_LISTED = 50


@coordinator_required
def import_job_list(request: AuthenticatedRequest) -> HttpResponse:
    """The person's latest imports (an admin's: everyone's), newest first."""
    jobs = import_jobs_visible(request.user)[:JOBS_LISTED]
    return render(request, "portal/import_jobs.html", {"jobs": jobs, "listed": JOBS_LISTED})


# The kinds of import that keep a preview (issues and resources); anything else is ignored.
IMPORT_KINDS = {"issues", "resources"}


@require_POST
@coordinator_required
def import_cancel(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind in IMPORT_KINDS:
        import_pending_discard(request=request, kind=kind)
    messages.info(request, _("取り込みを取り消しました。ファイルは保存していません。"))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "portal:dashboard"
    return redirect(target)
