"""Training, network meetings and self-assessment figures for a fiscal year (April → March)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from portal import fiscal
from portal.models import (
    AccessLog,
    NetworkMeeting,
    SkillSelfAssessment,
    TrainingAttendance,
    TrainingSession,
)
from portal.selectors import coordination_figures
from tests.portal.factories import UserFactory, ward


def _session(day, **kwargs):
    return TrainingSession.objects.create(
        topic=kwargs.pop("topic", "地域連携の基礎"), held_on=day, hours=2, **kwargs
    )


@pytest.fixture
def planted(coordinator, approver, evaluator, admin_user, partner_a):
    """4 staff users (+ one partner who never counts) and activity around fiscal year 2025."""
    inactive = UserFactory(username="retired", role="coordinator", is_active=False)
    in_year = [
        _session(datetime.date(2025, 4, 1)),
        _session(datetime.date(2026, 3, 31)),
        _session(datetime.date(2025, 10, 10), format="elearning"),
    ]
    _session(datetime.date(2025, 3, 31))  # fiscal 2024
    _session(datetime.date(2026, 4, 1))  # fiscal 2026
    TrainingAttendance.objects.create(session=in_year[0], user=coordinator, completed=True)
    TrainingAttendance.objects.create(session=in_year[1], user=coordinator, completed=True)
    TrainingAttendance.objects.create(session=in_year[1], user=approver, completed=False)
    TrainingAttendance.objects.create(session=in_year[2], user=evaluator, completed=True)
    TrainingAttendance.objects.create(session=in_year[2], user=inactive, completed=True)
    for day in (datetime.date(2025, 5, 1), datetime.date(2025, 12, 1), datetime.date(2026, 4, 2)):
        NetworkMeeting.objects.create(title="情報交換会", held_on=day, minutes="事例共有")
    for user, level in [
        (coordinator, "sufficient"),
        (approver, "mostly"),
        (evaluator, "sufficient"),
        (admin_user, "insufficient"),
    ]:
        SkillSelfAssessment.objects.create(user=user, fiscal_year=2025, level=level)
    SkillSelfAssessment.objects.create(user=coordinator, fiscal_year=2024, level="somewhat")


def test_figures_for_a_fiscal_year_are_exact(planted):
    figures = coordination_figures(fiscal_year=2025)
    assert figures["training_sessions"] == 3
    assert figures["training_sessions_target"] == 24
    assert figures["staff_total"] == 4  # coordinator, approver, evaluator, admin (active staff)
    assert figures["staff_trained"] == 2  # coordinator and evaluator completed; approver did not
    assert figures["staff_trained_share"] == 0.5
    assert figures["network_meetings"] == 2
    assert figures["network_meetings_target"] == 6
    assert figures["self_assessment_responses"] == 4
    assert figures["skills_sufficient_share"] == 0.5
    assert figures["skills_sufficient_share_target"] == 0.7
    previous = coordination_figures(fiscal_year=2024)
    assert previous["training_sessions"] == 1
    assert previous["skills_sufficient_share"] == 0.0
    assert coordination_figures(fiscal_year=2023)["skills_sufficient_share"] is None


def test_attendance_is_recorded_from_the_screen(client, coordinator, approver, partner_a):
    session = _session(datetime.date(2025, 6, 1), created_by=coordinator)
    client.force_login(coordinator)
    client.post(
        reverse("portal:training_attendance", args=[session.pk]),
        {"attended": [coordinator.pk, approver.pk, partner_a.pk], "completed": [approver.pk]},
    )
    rows = dict(session.attendances.values_list("user__username", "completed"))
    assert rows == {"coord_chiyoda": False, "approver_chiyoda": True}  # partners never count
    client.post(
        reverse("portal:training_attendance", args=[session.pk]),
        {"attended": [approver.pk], "completed": []},
    )
    assert dict(session.attendances.values_list("user__username", "completed")) == {
        "approver_chiyoda": False
    }


@pytest.fixture
def recorded_session(coordinator, approver, evaluator, admin_user):
    """A session coordinator (千代田区) organised; admin recorded three completions."""
    session = _session(datetime.date(2025, 6, 1), created_by=coordinator)
    for user in (coordinator, approver, evaluator):
        TrainingAttendance.objects.create(session=session, user=user, completed=True)
    return session


def _attendance(session):
    return dict(session.attendances.values_list("user__username", "completed"))


def test_another_coordinator_cannot_rewrite_attendance(
    client, recorded_session, coordinator_other_ward
):
    before = _attendance(recorded_session)
    client.force_login(coordinator_other_ward)
    page = client.get(reverse("portal:training_detail", args=[recorded_session.pk]))
    assert "記録する</button>" not in page.content.decode()
    response = client.post(
        reverse("portal:training_attendance", args=[recorded_session.pk]),
        {"attended": [coordinator_other_ward.pk], "completed": [coordinator_other_ward.pk]},
    )
    assert response.status_code == 403
    assert _attendance(recorded_session) == before
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.DENIED, user=coordinator_other_ward
    ).exists()


def test_a_session_nobody_owns_is_recorded_by_admins_only(
    client, coordinator, admin_user, approver
):
    session = _session(datetime.date(2025, 6, 1))
    url = reverse("portal:training_attendance", args=[session.pk])
    client.force_login(coordinator)
    assert client.post(url, {"completed": [approver.pk]}).status_code == 403
    assert not session.attendances.exists()
    client.force_login(admin_user)
    assert client.post(url, {"completed": [approver.pk]}).status_code == 302
    assert _attendance(session) == {"approver_chiyoda": True}


def test_the_organiser_cannot_mark_themself_completed(client, coordinator, approver):
    session = _session(datetime.date(2025, 6, 1), created_by=coordinator)
    TrainingAttendance.objects.create(session=session, user=approver, completed=True)
    client.force_login(coordinator)
    page = client.get(reverse("portal:training_detail", args=[session.pk])).content.decode()
    assert f'name="completed" value="{coordinator.pk}" id="cmp-{coordinator.pk}" disabled' in page
    response = client.post(
        reverse("portal:training_attendance", args=[session.pk]),
        {"attended": [coordinator.pk], "completed": [coordinator.pk]},
    )
    assert response.status_code == 403
    assert "自分の修了は記録できません" in response.content.decode()
    assert _attendance(session) == {"approver_chiyoda": True}  # nothing changed
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.DENIED, user=coordinator, detail__contains="自分の修了"
    ).exists()


def test_an_admin_recorded_completion_of_the_organiser_survives_their_save(
    client, recorded_session, coordinator, approver
):
    """The organiser's own completion checkbox is disabled (not sent): their row stays."""
    client.force_login(coordinator)
    response = client.post(
        reverse("portal:training_attendance", args=[recorded_session.pk]),
        {"attended": [approver.pk], "completed": [approver.pk, coordinator.pk]},
    )
    assert response.status_code == 302
    assert _attendance(recorded_session) == {"coord_chiyoda": True, "approver_chiyoda": True}


def test_admins_do_not_record_their_own_completion_either(client, admin_user):
    session = _session(datetime.date(2025, 6, 1), created_by=admin_user)
    client.force_login(admin_user)
    response = client.post(
        reverse("portal:training_attendance", args=[session.pk]), {"completed": [admin_user.pk]}
    )
    assert response.status_code == 403
    assert not session.attendances.exists()


def test_training_create_validates_hours(client, coordinator, approver):
    client.force_login(approver)
    assert client.get(reverse("portal:training_create")).status_code == 403
    client.force_login(coordinator)
    response = client.post(
        reverse("portal:training_create"),
        {
            "topic": "ファシリテーション実践",
            "held_on": "2026-06-01",
            "format": "elearning",
            "hours": "0",
        },
    )
    assert response.status_code == 200
    assert "時間数は0より大きい" in response.content.decode()
    assert not TrainingSession.objects.exists()
    client.post(
        reverse("portal:training_create"),
        {
            "topic": "ファシリテーション実践",
            "held_on": "2026-06-01",
            "format": "elearning",
            "hours": "1.5",
        },
    )
    assert TrainingSession.objects.get().get_format_display() == "eラーニング"


def test_self_assessment_once_per_year_and_staff_only(client, coordinator, partner_a):
    client.force_login(coordinator)
    client.post(reverse("portal:self_assessment"), {"level": "mostly"})
    client.post(reverse("portal:self_assessment"), {"level": "sufficient", "comment": "研修で自信"})
    assessment = SkillSelfAssessment.objects.get(user=coordinator)
    assert assessment.level == "sufficient"
    assert assessment.fiscal_year == fiscal.current_fiscal_year()
    client.force_login(partner_a)
    assert client.get(reverse("portal:self_assessment")).status_code == 403


def test_meeting_with_minutes(client, coordinator):
    client.force_login(coordinator)
    client.post(
        reverse("portal:meeting_create"),
        {
            "title": "第3回 情報交換会",
            "held_on": "2026-07-20",
            "ward": ward("13101").pk,
            "participants": 18,
            "minutes": "高齢者見守りの事例を共有した。",
        },
    )
    meeting = NetworkMeeting.objects.get()
    page = client.get(reverse("portal:meeting_detail", args=[meeting.pk])).content.decode()
    assert "高齢者見守りの事例を共有した。" in page


def test_training_page_shows_figures(client, planted, evaluator):
    client.force_login(evaluator)
    page = client.get(reverse("portal:training_list"), {"fy": 2025}).content.decode()
    assert "50%" in page
    assert "eラーニング" in page
