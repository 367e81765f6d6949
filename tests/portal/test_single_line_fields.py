"""Single-line names refuse line breaks on every public form (issue #15, fifth probe: an
organisation name 「悪意法人\\r\\nSubject: x」 was stored), and the mail log's search folds
width like the other searches."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.events import services
from matching.events.models import Invitation
from partners.models import Organization
from portal.models import ConsultationRequest, MailLog
from tests.matching.events.test_lifecycle import _event_data
from tests.partners.test_registration import form_data as registration_data
from tests.portal.test_consultations import _form as consultation_data

pytestmark = pytest.mark.django_db

INJECTED = "悪意法人\r\nSubject: x"
MESSAGE = "この欄には改行を入力できません。1行で入力してください。"


def _refused(response, field: str) -> None:
    assert response.status_code in (200, 400)
    assert MESSAGE in response.context["form"].errors[field]


def test_the_partner_registration_refuses_a_name_with_a_line_break(client):
    _refused(client.post(reverse("partners:register"), registration_data(name=INJECTED)), "name")
    assert not Organization.objects.exists()


def test_the_consultation_form_refuses_an_organisation_with_a_line_break(client):
    url = reverse("portal:consultation_new")
    _refused(client.post(url, consultation_data(organization=INJECTED)), "organization")
    assert not ConsultationRequest.objects.exists()


def test_the_event_sign_up_refuses_a_name_with_a_line_break(client, coordinator):
    event = services.event_create(
        created_by=coordinator, data=_event_data(capacity=20, public=True, resident_signup=True)
    )
    url = reverse("matching:event_public_detail", args=[event.pk])
    data = {"name": "山田\r\n花子", "email": "x@example.jp", "phone": "", "party_size": "1"}
    _refused(client.post(url, data), "name")
    assert not Invitation.objects.filter(event=event).exists()


@pytest.mark.parametrize("query", ["ＴＡＲＯ", "ｲﾍﾞﾝﾄ", "イベント ＥＸＡＭＰＬＥ"])
def test_the_mail_log_search_folds_width_like_the_other_searches(client, coordinator, query):
    MailLog.objects.create(to="taro@example.jp", kind="event", subject="イベントのご案内")
    MailLog.objects.create(to="hanako@example.jp", kind="event", subject="提案が届きました")
    client.force_login(coordinator)
    page = client.get(reverse("portal:mail_log"), {"q": query}).content.decode()
    assert "taro@example.jp" in page and "hanako@example.jp" not in page
