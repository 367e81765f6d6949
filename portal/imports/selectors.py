"""Which import jobs a person may see."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.imports.models import ImportJob
from portal.models import Role, User


def import_jobs_visible(user: User) -> QuerySet[ImportJob]:
    """Admins see every job; anyone else only the jobs they started (another's answers 404)."""
    jobs = ImportJob.objects.select_related("started_by")
    if user.role == Role.ADMIN:
        return jobs
    return jobs.filter(started_by=user)
