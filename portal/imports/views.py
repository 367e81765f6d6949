"""Screens of imports: cancelling a previewed upload, the page of one import job (its state,
refreshed by HTMX while it runs), and what the kinds' import screens share for a large file's
preview job (queueing it, showing its outcome)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from celery import Task
from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from portal.access import AuthenticatedRequest, coordinator_required, role_required
from portal.imports.models import ImportJob
from portal.imports.selectors import (
    import_job_progress_read,
    import_jobs_visible,
    import_preview_job,
)
from portal.imports.services import (
    Preview,
    Reader,
    RowShown,
    import_job_waiting_too_long,
    import_preview_start,
    import_upload_start,
)
from portal.models import Role
from portal.tabular import ImportOutcome, Sheet, TabularError
from portal.uploads import import_pending_discard, import_pending_store, import_pending_token

# Whoever may import something: coordinators (issues, resources), evaluators (measurements).
import_staff_required = role_required(Role.COORDINATOR, Role.EVALUATOR, Role.ADMIN)


@import_staff_required
@vary_on_headers("HX-Request")
def import_job_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    """The starter (or an admin): a job's progress; a finished preview goes on to its screen."""
    job = import_job_progress_read(get_object_or_404(import_jobs_visible(request.user), pk=job_id))
    if job.mode == ImportJob.Mode.PREVIEW and job.finished:
        url = f"{reverse(job.screen)}?{urlencode({'preview': job.pk})}"
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "portal/import_job.html"
    context = {"job": job, "waiting_too_long": import_job_waiting_too_long(job)}
    if request.htmx:
        return render(request, f"{template}#progress", context)
    return render(request, template, context)


JOBS_LISTED = 50


@import_staff_required
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


def upload_inline_or_job(
    request: AuthenticatedRequest,
    *,
    kind: str,
    data: bytes,
    task: Task,
    inline: Callable[[], HttpResponse],
    preview: bool = True,
    subject: int | None = None,
) -> HttpResponse:
    """Where an uploaded import file is handled, for every import screen: a file of at most
    IMPORT_PREVIEW_INLINE_BYTES by `inline` in this request; a larger one by a job of `task`,
    the person sent to its progress page at once.

    A `preview` job checks the file, which waits as the session's pending upload (the confirm
    form works as for a small one; the preview sweep removes it if nobody comes back). A kind
    without a preview step (measurements) gets an import job into `subject` instead.
    """
    if len(data) <= settings.IMPORT_PREVIEW_INLINE_BYTES:
        return inline()
    if preview:
        name = import_pending_store(request=request, kind=kind, data=data)
        job = import_preview_start(user=request.user, kind=kind, name=name, task=task)
    else:
        job = import_upload_start(
            user=request.user, kind=kind, data=data, task=task, subject=subject
        )
    return redirect("portal:import_job", job.pk)


def preview_upload(
    request: AuthenticatedRequest,
    form: Form,
    *,
    kind: str,
    task: Task,
    read: Reader,
    check: Callable[[Sheet], ImportOutcome],
    row: RowShown,
    template: str,
    context: dict,
) -> HttpResponse:
    """An import screen's answer to a valid upload: a small file checked here (`read`, then
    `check`, nothing written) and shown as its preview with the confirm form's token, or its
    refusal at the file field (400); a large one checked by a preview job of `task`."""
    data = form.cleaned_data["file"].read()

    def inline() -> HttpResponse:
        try:
            dataset = read(data)
        except TabularError as exc:
            form.add_error("file", str(exc))
            return render(request, template, context, status=400)
        report = Preview.of(check(dataset), row=row)
        context["report"] = report
        if report.ok:
            context["token"] = import_pending_store(request=request, kind=kind, data=data)
        return render(request, template, context, status=200 if report.ok else 400)

    return upload_inline_or_job(request, kind=kind, data=data, task=task, inline=inline)


def preview_shown(request: AuthenticatedRequest, *, kind: str) -> dict | HttpResponse:
    """An import screen's `report` and `token` for the finished preview job ``?preview=<id>``
    (the starter's or, for an admin, anyone's: another's answers 404); a job still running sends
    the person back to its progress page.

    The confirm form's token is the session's waiting file, offered only while it is the one
    this job checked (a later upload or a cancel replaced or removed it).
    """
    job = import_preview_job(request.user, kind=kind, job_id=request.GET.get("preview"))
    if not job.finished:
        return redirect("portal:import_job", job.pk)
    report = Preview.of_job(job)
    token = import_pending_token(request=request, kind=kind)
    if not report.ok or token != job.file_name:
        token = None
        if report.ok:
            messages.error(
                request, _("確認の有効期限が切れました。もう一度ファイルを選んでください。")
            )
    return {"report": report, "token": token}
