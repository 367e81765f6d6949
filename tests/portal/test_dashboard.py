import pytest
from django.urls import reverse

from portal.models import AccessLog


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


@pytest.mark.parametrize(
    "fixture", ["coordinator", "approver", "evaluator", "admin_user", "coordinator_other_ward"]
)
def test_each_staff_role_sees_its_dashboard(db, client, request, fixture):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert user.get_role_display() in page
    assert 'href="#main"' in page  # skip link


def test_access_log_is_for_admins_only_and_refusals_are_logged(client, coordinator, admin_user):
    client.force_login(coordinator)
    assert client.get(reverse("portal:access_log")).status_code == 403
    assert AccessLog.objects.filter(kind="denied", user=coordinator).exists()
    client.force_login(admin_user)
    page = client.get(reverse("portal:access_log")).content.decode()
    assert "アクセス拒否" in page


def test_access_log_entries_cannot_be_rewritten(db, coordinator):
    entry = AccessLog.objects.create(kind="login", user=coordinator)
    entry.detail = "changed"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_pages_carry_a_nonce_csp_without_unsafe_inline(client, db):
    response = client.get(reverse("portal:home"))
    policy = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "'nonce-" in policy or "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_notifications_are_listed_and_marked_read(client, coordinator):
    from portal.services import notification_send

    notification_send(recipients=[coordinator], message="新しい提案が届きました", url="/")
    client.force_login(coordinator)
    assert "新しい提案が届きました" in client.get(reverse("portal:notifications")).content.decode()
    client.post(reverse("portal:notifications"))
    assert coordinator.notifications.filter(read_at__isnull=True).count() == 0


def test_activity_is_recorded_once_per_day(client, coordinator):
    from portal.models import DailyActivity

    client.force_login(coordinator)
    client.get(reverse("portal:dashboard"))
    client.get(reverse("portal:dashboard"))
    assert DailyActivity.objects.filter(user=coordinator).count() == 1


def _grow_cases(coordinator, n: int) -> None:
    from tests.issues.factories import IssueFactory
    from tests.matching.factories import ProjectFactory

    for i in range(n):
        IssueFactory(coordinator=coordinator if i % 2 else None)
        ProjectFactory(title=f"事業{i}", coordinator=coordinator)


@pytest.mark.parametrize("fixture", ["coordinator", "approver", "evaluator", "admin_user"])
def test_dashboard_queries_do_not_grow_with_rows(
    db, client, request, fixture, coordinator, django_assert_max_num_queries
):
    from django.db import reset_queries

    client.force_login(request.getfixturevalue(fixture))
    _grow_cases(coordinator, 3)
    client.get(reverse("portal:dashboard"))
    reset_queries()  # the connection's log holds 9,000 queries at most
    with django_assert_max_num_queries(45) as small:
        client.get(reverse("portal:dashboard"))
    queries_small = len(small)
    _grow_cases(coordinator, 30)
    reset_queries()
    with django_assert_max_num_queries(queries_small):
        assert client.get(reverse("portal:dashboard")).status_code == 200
