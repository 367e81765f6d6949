"""Celery tasks of the matching engine: thin wrappers that take ids and call the services."""

from __future__ import annotations

import logging

from celery import group, shared_task
from django.conf import settings

from matching import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def matching_run_prepare(*, run_id: int) -> dict:
    """Fit or load the engine, then fan the run out as a group of chunk tasks."""
    try:
        chunk_ids = services.match_run_prepare(run_id=run_id)
    except Exception as exc:
        logger.exception("preparing run %s failed", run_id)
        services.match_run_fail(run_id=run_id, error=f"準備に失敗しました: {exc}")
        return {"run": run_id, "chunks": 0}
    if settings.TASKS_IN_PROCESS:
        for chunk_id in chunk_ids:
            matching_chunk.apply(kwargs={"chunk_id": chunk_id}, throw=True)
    elif chunk_ids:
        try:
            group(matching_chunk.s(chunk_id=chunk_id) for chunk_id in chunk_ids).apply_async()
        except Exception:
            logger.exception("fanning out run %s failed", run_id)
            services.match_run_fail(run_id=run_id, error=str(services.BROKER_DOWN_MESSAGE))
    return {"run": run_id, "chunks": len(chunk_ids)}


@shared_task(acks_late=True)
def matching_chunk(*, chunk_id: int) -> int:
    """Score one chunk of issues and replace their candidates atomically."""
    return services.match_chunk_execute(chunk_id=chunk_id)


@shared_task(acks_late=True)
def matching_refresh_issue(*, issue_id: int) -> int:
    """Recompute one issue's candidates (for callers that prefer the worker)."""
    return services.matching_refresh_issue(issue_id=issue_id).pk


@shared_task(acks_late=True)
def proposals_expire() -> dict:
    """Daily: expire overdue proposals and remind partners 3 days before the deadline."""
    return services.proposals_expire()


@shared_task(acks_late=True)
def event_deadline_reminders() -> int:
    """Reminds invitees who have not answered, once, in the 2 days before the deadline."""
    from matching.event_services import event_deadline_reminders_send

    return event_deadline_reminders_send()
