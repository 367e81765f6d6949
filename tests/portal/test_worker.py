"""The real path: a task sent through Redis and executed by a separate Celery worker."""

import pytest

from portal.models import HealthCheck
from portal.tasks import health_probe


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_task_goes_through_the_broker_to_a_worker_process():
    result = health_probe.apply_async()
    outcome = result.get(timeout=30)
    check = HealthCheck.objects.get(pk=outcome["id"])
    assert check.database_ok and check.broker_ok and check.worker_ok
    assert outcome["ok"] is True
    # Executed by the worker, not in this process: the worker stored the task's state.
    from django_celery_results.models import TaskResult

    assert TaskResult.objects.filter(task_id=result.id, status="SUCCESS").exists()
