"""Redis (broker and cache) is down: matching says it is unavailable, every other screen works."""

import pytest
from django.urls import reverse

from matching.models import MatchRun
from portal.registry import menu_for
from tests.matching.factories import matching_world

DEAD_REDIS = "redis://127.0.0.1:1"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.TASKS_IN_PROCESS = False
    settings.CELERY_BROKER_URL = f"{DEAD_REDIS}/1"
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": f"{DEAD_REDIS}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.parametrize("role_fixture", ["coordinator", "approver", "evaluator", "admin_user"])
def test_every_menu_screen_still_answers_while_redis_is_down(
    client, db, request, redis_down, role_fixture
):
    user = request.getfixturevalue(role_fixture)
    matching_world(2)
    client.force_login(user)
    entries = menu_for(user.role)
    assert len(entries) >= 5
    for entry in entries:
        response = client.get(reverse(entry.url_name))
        assert response.status_code == 200, (entry.url_name, response.status_code)


def test_matching_screen_says_unavailable_and_refuses_a_full_run(client, coordinator, redis_down):
    matching_world(2)
    client.force_login(coordinator)
    page = client.get(reverse("matching:home")).content.decode()
    assert "マッチングは現在利用できません" in page
    assert 'disabled aria-describedby="matching-unavailable"' in page

    response = client.post(reverse("matching:run_start"), follow=True)

    assert MatchRun.objects.count() == 0
    assert "マッチング処理（ワーカー）に接続できません" in response.content.decode()


def test_login_and_its_throttle_work_from_process_memory_while_redis_is_down(
    client, coordinator, redis_down, settings
):
    url = reverse("portal:login")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post(url, {"username": coordinator.username, "password": "x"}).status_code
    refused = client.post(url, {"username": coordinator.username, "password": "x"})
    assert refused.status_code == 429


def test_a_working_broker_shows_no_warning(client, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("matching:home")).content.decode()
    assert "マッチングは現在利用できません" not in page
