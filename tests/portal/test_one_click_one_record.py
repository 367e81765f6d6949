"""One click, one record (issue #15, item 12): a create form sent twice makes one record and the
second answer shows the record the first one made."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Measurement
from issues.models import Issue
from matching.events.models import Event, EventTheme
from partners.models import Organization, Resource
from portal.models import (
    ConsultationRequest,
    FaqCategory,
    FaqEntry,
    SubmissionReceipt,
    TrainingSession,
)
from portal.once import REPEAT_WINDOW_SECONDS
from tests.evaluation.factories import IndicatorFactory
from tests.issues.factories import issue_data
from tests.matching.factories import ProjectFactory
from tests.partners.test_registration import form_data as registration_data
from tests.partners.test_self_service import resource_data
from tests.portal.factories import ward
from tests.portal.test_consultations import _form as consultation_data

TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{40})"')

# Every case needs the database with its reference data (wards) before the persona fixtures,
# which are looked up by name inside the test.
pytestmark = pytest.mark.django_db


def _token(client, url: str) -> str:
    page = client.get(url).content.decode()
    found = TOKEN.search(page)
    assert found, "the form carries no one-time token"
    return found.group(1)


def _twice(client, url: str, data: dict, form_url: str | None = None):
    data = {**data, "form_token": _token(client, form_url or url)}
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    return first, second


def _event_data():
    starts = timezone.localtime() + datetime.timedelta(days=10)
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "title": "DXで地域課題を解く連携ピッチ会",
        "theme": EventTheme.objects.get(name="DX").pk,
        "format": "venue",
        "venue": "区役所本庁舎 5階",
        "meeting_url": "",
        "description": "",
        "starts_at": starts.strftime(fmt),
        "ends_at": (starts + datetime.timedelta(hours=2)).strftime(fmt),
        "capacity": "30",
        "registration_deadline": (starts - datetime.timedelta(days=3)).strftime(fmt),
        "wards": [ward("13101").pk],
    }


CASES = {
    "issue": ("coordinator", "issues:create", issue_data, Issue),
    "event": ("coordinator", "matching:event_create", _event_data, Event),
    "consultation": (None, "portal:consultation_new", consultation_data, ConsultationRequest),
    "registration": (None, "partners:register", registration_data, Organization),
    "resource": ("partner_a", "partners:resource_create", resource_data, Resource),
    "training": (
        "coordinator",
        "portal:training_create",
        lambda: {
            "topic": "協働の基礎",
            "held_on": "2026-06-01",
            "format": "elearning",
            "hours": "2",
        },
        TrainingSession,
    ),
    "faq": (
        "coordinator",
        "portal:faq_create",
        lambda: {
            "category": FaqCategory.objects.get_or_create(name="登録")[0].pk,
            "question": "登録に費用はかかりますか",
            "answer": "かかりません。",
            "order": "1",
        },
        FaqEntry,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_create_form_sent_twice_makes_one_record(client, request, case):
    who, name, data, model = CASES[case]
    if who:
        client.force_login(request.getfixturevalue(who))
    else:
        request.getfixturevalue("db")
    before = model.objects.count()
    first, second = _twice(client, reverse(name), data())
    assert first.status_code == 302, first.content.decode()[:2000]
    assert model.objects.count() == before + 1
    assert second.redirect_chain[0][0] == first.url
    if who:
        assert "既に登録されています" in second.content.decode()


def test_a_new_form_gets_a_new_token_and_makes_a_second_record(client, coordinator):
    client.force_login(coordinator)
    _twice(client, reverse("issues:create"), issue_data())
    _twice(client, reverse("issues:create"), issue_data(title="別の課題として登録する"))
    assert Issue.objects.count() == 2


def test_back_and_the_same_content_again_makes_no_second_record(client, coordinator):
    """Third probe of #15: after 「登録する」, Back fetched the form with a new token, Chrome
    restored what was typed, and a second click made a second issue."""
    client.force_login(coordinator)
    first, _ = _twice(client, reverse("issues:create"), issue_data())
    again = {**issue_data(), "form_token": _token(client, reverse("issues:create"))}
    repeated = client.post(reverse("issues:create"), again, follow=True)
    assert Issue.objects.count() == 1
    assert repeated.redirect_chain[0][0] == first.url
    assert "既に登録されています" in repeated.content.decode()
    # Past the window, the same words are a new issue the person means to register.
    later = timezone.now() + datetime.timedelta(seconds=REPEAT_WINDOW_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        again = {**issue_data(), "form_token": _token(client, reverse("issues:create"))}
        assert client.post(reverse("issues:create"), again).status_code == 302
    assert Issue.objects.count() == 2


def test_a_refused_create_keeps_the_token_for_the_corrected_form(client, coordinator):
    client.force_login(coordinator)
    token = _token(client, reverse("issues:create"))
    refused = client.post(reverse("issues:create"), {**issue_data(title=""), "form_token": token})
    assert refused.status_code == 400 and f'value="{token}"' in refused.content.decode()
    assert not SubmissionReceipt.objects.exists()
    client.post(reverse("issues:create"), {**issue_data(), "form_token": token})
    assert Issue.objects.count() == 1


def test_a_project_page_form_sent_twice_records_one_measurement(client, evaluator):
    project = ProjectFactory()
    indicator = IndicatorFactory(project=project)
    client.force_login(evaluator)
    detail = reverse("evaluation:project_detail", args=[project.pk])
    data = {
        "indicator": indicator.pk,
        "measured_on": project.start_date.isoformat(),
        "value": "12",
        "text": "",
    }
    _twice(client, reverse("evaluation:measurement_add", args=[project.pk]), data, detail)
    assert Measurement.objects.count() == 1


def test_the_same_token_from_another_user_does_not_reveal_the_record(client, coordinator):
    from django.test import Client

    from tests.portal.factories import UserFactory

    client.force_login(coordinator)
    token = _token(client, reverse("issues:create"))
    client.post(reverse("issues:create"), {**issue_data(), "form_token": token})
    other = Client()
    other.force_login(UserFactory(role="coordinator", ward=ward("13101")))
    other.post(reverse("issues:create"), {**issue_data(title="他の人の課題"), "form_token": token})
    assert Issue.objects.count() == 2


def test_the_remaining_create_forms_sent_twice_make_one_record(client, evaluator, coordinator):
    """Committee member, case study, device feed and a consultation's note: the forms the second
    probe found still making two records from one double click."""
    from evaluation.models import CaseStudy, CommitteeMember, DeviceFeed
    from portal.models import ConsultationNote

    project = ProjectFactory()
    client.force_login(evaluator)
    member_url = reverse("evaluation:committee")
    first, second = _twice(
        client,
        member_url,
        {"name": "再送 花子", "affiliation": "", "background": "academic", "appointed_on": ""},
    )
    assert (
        first.status_code == 302 and CommitteeMember.objects.filter(name="再送 花子").count() == 1
    )
    assert "既に登録されています" in second.content.decode()

    case_url = reverse("evaluation:case_new", args=[project.pk])
    first, second = _twice(
        client,
        case_url,
        {"kind": "best", "title": "二重送信の事例", "summary": "概要", "lessons": ""},
    )
    assert first.status_code == 302, first.content.decode()[:1500]
    assert CaseStudy.objects.filter(title="二重送信の事例").count() == 1

    project_url = reverse("evaluation:project_detail", args=[project.pk])
    feed_url = reverse("evaluation:feed_add", args=[project.pk])
    first, second = _twice(client, feed_url, {"name": "歩数計"}, form_url=project_url)
    assert first.status_code == 200 and DeviceFeed.objects.filter(name="歩数計").count() == 1
    assert "既に登録されています" in second.content.decode()

    consultation = ConsultationRequest.objects.create(
        name="相談者", email="a@example.jp", topic="start", message="相談", ward=ward("13101")
    )
    client.force_login(coordinator)
    detail_url = reverse("portal:consultation_detail", args=[consultation.pk])
    first, second = _twice(
        client, detail_url, {"status": "", "assigned_to": "", "note": "二重メモ"}
    )
    assert first.status_code == 302, first.content.decode()[:1500]
    assert ConsultationNote.objects.filter(request=consultation, text="二重メモ").count() == 1
