"""Every coordinator-system and support screen renders for the roles that use it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from portal.models import (
    ConsultationRequest,
    FaqCategory,
    FaqEntry,
    NetworkMeeting,
    TrainingSession,
    UnansweredQuestion,
)


@pytest.fixture
def data(coordinator):
    category = FaqCategory.objects.create(name="ポータルの使い方")
    entry = FaqEntry.objects.create(
        category=category, question="ログインできません。", answer="再発行してください。"
    )
    return {
        "entry": entry,
        "session": TrainingSession.objects.create(
            topic="連携の基礎", held_on=datetime.date(2026, 5, 1)
        ),
        "meeting": NetworkMeeting.objects.create(
            title="情報交換会", held_on=datetime.date(2026, 5, 2)
        ),
        "question": UnansweredQuestion.objects.create(text="駐車場はありますか"),
        "consultation": ConsultationRequest.objects.create(
            name="山田",
            email="y@example.jp",
            topic="start",
            message="相談",
            assigned_to=coordinator,
        ),
    }


def test_staff_screens_render(client, coordinator, data):
    client.force_login(coordinator)
    urls = [
        reverse("portal:coordinator_overview"),
        reverse("portal:coordinator_detail", args=[coordinator.pk]),
        reverse("portal:coordinator_edit", args=[coordinator.pk]),
        reverse("portal:training_list"),
        reverse("portal:training_create"),
        reverse("portal:training_detail", args=[data["session"].pk]),
        reverse("portal:meeting_create"),
        reverse("portal:meeting_detail", args=[data["meeting"].pk]),
        reverse("portal:self_assessment"),
        reverse("portal:faq_manage"),
        reverse("portal:faq_create"),
        reverse("portal:faq_edit", args=[data["entry"].pk]),
        reverse("portal:unanswered_list"),
        reverse("portal:unanswered_convert", args=[data["question"].pk]),
        reverse("portal:consultation_list"),
        reverse("portal:consultation_detail", args=[data["consultation"].pk]),
        reverse("portal:dashboard"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_public_screens_render(client, data):
    for url in [
        reverse("portal:help_centre"),
        reverse("portal:faq_entry", args=[data["entry"].pk]),
        reverse("portal:faq_ask"),
        reverse("portal:consultation_new"),
        reverse("portal:consultation_thanks"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("fixture", ["partner_a", "approver", "evaluator", "admin_user"])
def test_dashboard_cards_render_for_each_role(client, request, data, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("portal:dashboard")).status_code == 200
