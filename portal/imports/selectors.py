"""Which import jobs a person may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.imports.models import ImportJob
from portal.models import Role, User


def import_jobs_visible(user: User) -> QuerySet[ImportJob]:
    """Admins see every job; anyone else only the jobs they started (another's answers 404)."""
    jobs = ImportJob.objects.select_related("started_by")
    if user.role == Role.ADMIN:
        return jobs
    return jobs.filter(started_by=user)


def import_preview_job(user: User, *, kind: str, job_id: object) -> ImportJob:
    """The preview job `job_id` of `kind` that `user` may see; Http404 for any other."""
    jobs = import_jobs_visible(user).filter(kind=kind, mode=ImportJob.Mode.PREVIEW)
    return get_object_or_404(jobs, pk=job_id if str(job_id).isdigit() else None)
