"""Certification by someone else: an approver or admin decides a coordinator's level and records
the basis; the coordinator cannot change it, and their self-assessment is a separate record."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.coordinators import services as coordination
from portal.models import (
    Certification,
    CertificationLevel,
    CoordinatorProfile,
    SkillSelfAssessment,
    TrainingAttendance,
    TrainingSession,
)
from tests.portal.factories import UserFactory, ward

pytestmark = pytest.mark.django_db
L = CertificationLevel


def _certify(coordinator, by, level=L.BASIC, **basis):
    return coordination.coordinator_certify(
        coordinator=coordinator,
        level=level,
        certified_on=basis.pop("certified_on", datetime.date(2025, 6, 1)),
        training_hours=basis.pop("training_hours", Decimal("12.0")),
        cases_supported=basis.pop("cases_supported", 8),
        assessment=basis.pop("assessment", "研修修了と担当8件の実績を確認した。"),
        decided_by=by,
    )


def test_an_approver_certifies_with_the_basis_and_every_decision_is_kept(coordinator, approver):
    _certify(coordinator, approver)
    _certify(
        coordinator,
        approver,
        L.INTERMEDIATE,
        certified_on=datetime.date(2026, 6, 1),
        training_hours=Decimal("20.5"),
        cases_supported=17,
    )
    profile = CoordinatorProfile.objects.get(user=coordinator)
    assert (profile.certification_level, profile.certified_on) == (
        L.INTERMEDIATE,
        datetime.date(2026, 6, 1),
    )
    rows = list(coordinator.certifications.order_by("certified_on"))
    assert [(r.previous_level, r.level, r.decided_by) for r in rows] == [
        (L.NONE, L.BASIC, approver),
        (L.BASIC, L.INTERMEDIATE, approver),
    ]
    assert (rows[1].training_hours, rows[1].cases_supported) == (Decimal("20.5"), 17)
    assert profile.history.first().history_user == approver


@pytest.mark.parametrize("who", ["coordinator", "coordinator_other_ward", "evaluator"])
def test_nobody_else_may_certify(request, coordinator, who):
    with pytest.raises(PermissionDenied):
        _certify(coordinator, request.getfixturevalue(who), L.ADVANCED)
    assert not Certification.objects.exists()
    assert not CoordinatorProfile.objects.filter(certification_level=L.ADVANCED).exists()


def test_a_decision_without_its_basis_is_refused(coordinator, admin_user):
    with pytest.raises(ValidationError):
        _certify(coordinator, admin_user, assessment="  ")
    with pytest.raises(ValidationError):
        _certify(coordinator, admin_user, certified_on=timezone.localdate() + datetime.timedelta(1))
    assert not Certification.objects.exists()


def test_a_coordinator_posting_a_level_change_is_refused(client, coordinator):
    CoordinatorProfile.objects.create(user=coordinator, background="company")
    client.force_login(coordinator)
    form = {
        "level": L.ADVANCED,
        "certified_on": "2026-11-01",
        "training_hours": "100",
        "cases_supported": "50",
        "assessment": "自分で上級に",
    }
    response = client.post(reverse("portal:coordinator_certify", args=[coordinator.pk]), form)
    assert response.status_code == 403
    # The profile form no longer carries the level: a forged field is ignored, nothing else is
    # lost (the rest of the profile saves).
    response = client.post(
        reverse("portal:coordinator_edit", args=[coordinator.pk]),
        {
            "wards": [ward("13101").pk],
            "background": "npo",
            "certification_level": L.ADVANCED,
            "certified_on": "2026-11-01",
            "active": "on",
        },
    )
    assert response.status_code == 302
    profile = CoordinatorProfile.objects.get(user=coordinator)
    assert profile.background == "npo"
    assert (profile.certification_level, profile.certified_on) == (L.NONE, None)
    assert not Certification.objects.exists()


def test_the_self_assessment_is_separate_and_changes_no_level(client, coordinator):
    client.force_login(coordinator)
    client.post(reverse("portal:self_assessment"), {"level": "sufficient", "comment": "自信あり"})
    assert SkillSelfAssessment.objects.filter(user=coordinator).exists()
    assert (
        not CoordinatorProfile.objects.filter(user=coordinator)
        .exclude(certification_level=L.NONE)
        .exists()
    )


def test_the_certify_screen_offers_the_recorded_basis_and_saves_the_decision(
    client, coordinator, approver
):
    session = TrainingSession.objects.create(
        topic="連携の基礎", held_on=datetime.date(2025, 5, 1), hours=Decimal("3.0")
    )
    TrainingAttendance.objects.create(session=session, user=coordinator, completed=True)
    client.force_login(approver)
    url = reverse("portal:coordinator_certify", args=[coordinator.pk])
    page = client.get(url).content.decode()
    # The completed training hours from the records (SQLite sums to 3, PostgreSQL to 3.0).
    assert re.search(r'name="training_hours" value="3(\.0)?"', page)
    response = client.post(
        url,
        {
            "level": L.BASIC,
            "certified_on": "2025-06-01",
            "training_hours": "3.0",
            "cases_supported": "4",
            "assessment": "面談で確認",
        },
    )
    assert response.status_code == 302
    detail = client.get(reverse("portal:coordinator_detail", args=[coordinator.pk]))
    text = detail.content.decode()
    assert "初級" in text and "面談で確認" in text and "3.0" in text


def test_an_admin_sees_the_certify_link_a_coordinator_does_not(client, coordinator, admin_user):
    url = reverse("portal:coordinator_detail", args=[coordinator.pk])
    certify = reverse("portal:coordinator_certify", args=[coordinator.pk])
    client.force_login(coordinator)
    assert certify not in client.get(url).content.decode()
    client.force_login(admin_user)
    assert certify in client.get(url).content.decode()


# --- the ward's scope (#15 leftover: certification was not scoped by ward) ----------------------

FORM = {
    "level": L.ADVANCED,
    "certified_on": "2025-06-01",
    "training_hours": "12",
    "cases_supported": "8",
    "assessment": "実績を確認した。",
}


@pytest.fixture
def approver_other_ward(db):
    return UserFactory(username="approver_setagaya", role="approver", ward=ward("13112"))


@pytest.fixture
def approver_no_ward(db):
    return UserFactory(username="approver_tokyo", role="approver", ward=None)


@pytest.fixture
def coordinator_no_ward(db):
    return UserFactory(username="coord_tokyo", role="coordinator", ward=None)


@pytest.mark.parametrize(
    ("who", "whom", "allowed"),
    [
        ("approver", "coordinator", True),
        ("approver_no_ward", "coordinator", True),
        ("approver_no_ward", "coordinator_no_ward", True),
        ("admin_user", "coordinator_no_ward", True),
        # Before: an approver of 世田谷区 raised a 千代田区 coordinator to 上級.
        ("approver_other_ward", "coordinator", False),
        ("approver", "coordinator_other_ward", False),
        ("approver", "coordinator_no_ward", False),
        ("coordinator", "coordinator", False),
        ("coordinator", "coordinator_other_ward", False),
        ("evaluator", "coordinator", False),
        ("partner_a", "coordinator", False),
    ],
)
def test_each_persona_certifies_only_within_its_ward(client, request, who, whom, allowed):
    person, target = request.getfixturevalue(who), request.getfixturevalue(whom)
    detail = reverse("portal:coordinator_detail", args=[target.pk])
    certify = reverse("portal:coordinator_certify", args=[target.pk])
    client.force_login(person)
    response = client.post(certify, FORM)
    level = CoordinatorProfile.objects.filter(user=target).values_list(
        "certification_level", flat=True
    )
    if allowed:
        assert response.status_code == 302
        assert list(level) == [L.ADVANCED]
        assert certify in client.get(detail).content.decode()
        return
    assert response.status_code == 403
    assert not Certification.objects.exists() and not level.exists()
    with pytest.raises(PermissionDenied):
        _certify(target, person, L.ADVANCED)
    assert not Certification.objects.exists()
    if person.role != "partner":
        assert certify not in client.get(detail).content.decode()
