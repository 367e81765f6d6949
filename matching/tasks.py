"""Celery tasks of the matching engine: thin wrappers that take ids and call the services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from matching.engine import services as engine_services
from matching.proposals import services as proposal_services
from matching.runs import services as run_services

logger = logging.getLogger(__name__)

# A restarted or unreachable database: try again with backoff (1, 2, 4 … 30 s) rather than fail
# the run; the services are idempotent, so a retry redoes nothing that was already committed.
RETRY_ON_DATABASE_LOSS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": run_services.DATABASE_LOST,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": False,
    "max_retries": 60,
}


# A broker restarting while the chunks are sent out is waited for (about 5 minutes), so the run
# goes on instead of failing; web requests keep Celery's short default and answer at once.
FAN_OUT_RETRY = {"max_retries": 60, "interval_start": 1, "interval_step": 1, "interval_max": 5}


@shared_task(**RETRY_ON_DATABASE_LOSS)
def matching_run_prepare(*, run_id: int) -> dict:
    """Fit or load the engine, then send one task per chunk."""
    try:
        chunk_ids = run_services.match_run_prepare(run_id=run_id)
    except run_services.DATABASE_LOST:
        raise
    except Exception as exc:
        logger.exception("preparing run %s failed", run_id)
        run_services.match_run_fail(run_id=run_id, error=f"準備に失敗しました: {exc}")
        return {"run": run_id, "chunks": 0}
    if settings.TASKS_IN_PROCESS:
        for chunk_id in chunk_ids:
            matching_chunk.apply(kwargs={"chunk_id": chunk_id}, throw=True)
    else:
        try:
            for chunk_id in chunk_ids:
                matching_chunk.apply_async(
                    kwargs={"chunk_id": chunk_id}, retry=True, retry_policy=FAN_OUT_RETRY
                )
        except Exception:
            logger.exception("fanning out run %s failed", run_id)
            run_services.match_run_fail(run_id=run_id, error=str(run_services.BROKER_DOWN_MESSAGE))
    return {"run": run_id, "chunks": len(chunk_ids)}


@shared_task(**RETRY_ON_DATABASE_LOSS)
def matching_chunk(*, chunk_id: int) -> int:
    """Score one chunk of issues and replace their candidates atomically."""
    return run_services.match_chunk_execute(chunk_id=chunk_id)


@shared_task(**RETRY_ON_DATABASE_LOSS)
def matching_refresh_issue(*, issue_id: int) -> int:
    """Recompute one issue's candidates (for callers that prefer the worker)."""
    return run_services.matching_refresh_issue(issue_id=issue_id).pk


@shared_task(**RETRY_ON_DATABASE_LOSS)
def matching_exposure_cap_reapply() -> dict:
    """Re-rank the current candidates after staff changed the exposure cap."""
    return run_services.exposure_cap_reapply()


@shared_task(bind=True, **RETRY_ON_DATABASE_LOSS)
def embeddings_refresh(self, *, issue_ids: list[int], resource_ids: list[int]) -> int:
    """Embed saved or imported texts in batches; progress is the task's state (PROGRESS)."""

    def progress(done: int, total: int) -> None:
        if not self.request.is_eager:  # in-process (no broker): the log is the progress
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})
        logger.info("embeddings: %d / %d texts", done, total)

    return engine_services.embeddings_refresh(
        issue_ids=issue_ids, resource_ids=resource_ids, progress=progress
    )


@shared_task(acks_late=True, ignore_result=True)
def matching_runs_resume() -> list[int]:
    """Every 5 minutes: re-send the work of runs idle for MATCHING_RESUME_AFTER_SECONDS."""
    return run_services.match_runs_resume()


@shared_task(acks_late=True)
def proposals_expire() -> dict:
    """Daily: expire overdue proposals and remind partners 3 days before the deadline."""
    return proposal_services.proposals_expire()


@shared_task(acks_late=True)
def event_deadline_reminders() -> int:
    """Reminds invitees who have not answered, once, in the 2 days before the deadline."""
    from matching.events.services import event_deadline_reminders_send

    return event_deadline_reminders_send()


@shared_task(acks_late=True)
def event_signups_erase() -> int:
    """Daily: residents' sign-ups past their retention period, erased (portal.retention)."""
    from matching.events.retention import resident_signups_erase

    return resident_signups_erase()


@shared_task(acks_late=True)
def event_resident_reminders() -> int:
    """Each morning: mail residents holding a seat at tomorrow's events (Tokyo dates), once."""
    from matching.events.residents import resident_reminders_send

    return resident_reminders_send()
