"""Which import jobs a person may see."""

from __future__ import annotations

from django.core.cache import cache
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


def import_job_progress_read(job: ImportJob) -> ImportJob:
    """`job` with the rows done that its writing published so far (portal.imports.services.
    import_job_progress): the row itself holds them only once the job ended, because the
    import's transaction would hide them from this request until then."""
    if job.status == ImportJob.Status.WRITING:
        job.rows_done = max(job.rows_done, cache.get(job.progress_cache_key) or 0)
    return job
