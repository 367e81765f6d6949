"""Consultation requests: public form, validation, routing, status workflow, permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal import registry
from portal.models import ConsultationNote, ConsultationRequest, Notification
from tests.portal.factories import UserFactory, ward


def _form(**overrides):
    data = {
        "name": "山田 太郎",
        "organization": "山田製作所",
        "email": "yamada@example.jp",
        "phone": "",
        "topic": "start",
        "ward": ward("13101").pk,
        "message": "町工場として地域に貢献したいが、区とどう連携すればよいか相談したい。",
        "website": "",
    }
    data.update(overrides)
    return data


def test_request_without_any_contact_is_refused_and_nothing_stored(client, coordinator):
    response = client.post(reverse("portal:consultation_new"), _form(email="", phone=""))
    assert response.status_code == 200
    assert "メールアドレスか電話番号のどちらかを入力してください" in response.content.decode()
    assert not ConsultationRequest.objects.exists()
    assert not Notification.objects.exists()


def test_phone_only_is_enough(client, coordinator):
    response = client.post(
        reverse("portal:consultation_new"), _form(email="", phone="03-1234-5678")
    )
    assert response.status_code == 302
    assert ConsultationRequest.objects.get().phone == "03-1234-5678"


@pytest.fixture
def loads():
    counts: dict[int, int] = {}
    registry.caseload_provider_register(
        key="tests.loads",
        provider=lambda ids, fy: {uid: {"active": counts.get(uid, 0)} for uid in ids},
    )
    yield counts
    registry.caseload_provider_unregister(key="tests.loads")


def test_routed_to_least_loaded_coordinator_of_the_ward(
    client, coordinator, coordinator_other_ward, loads
):
    second = UserFactory(username="coord_chiyoda2", role="coordinator", ward=ward("13101"))
    loads[coordinator.pk] = 5
    loads[second.pk] = 1
    client.post(reverse("portal:consultation_new"), _form())
    consultation = ConsultationRequest.objects.get()
    assert consultation.assigned_to == second
    assert consultation.status == "received"
    assert Notification.objects.filter(recipient=second, message__contains="新しい相談").exists()


def test_honeypot_stores_nothing(client, coordinator):
    response = client.post(reverse("portal:consultation_new"), _form(website="http://spam"))
    assert response.status_code == 302
    assert not ConsultationRequest.objects.exists()


def test_rate_limit(client, coordinator):
    for _ in range(5):
        assert client.post(reverse("portal:consultation_new"), _form()).status_code == 302
    response = client.post(reverse("portal:consultation_new"), _form())
    assert response.status_code == 429
    assert ConsultationRequest.objects.count() == 5


def test_workflow_with_notes_and_history(client, coordinator):
    client.post(reverse("portal:consultation_new"), _form())
    consultation = ConsultationRequest.objects.get()
    client.force_login(coordinator)
    url = reverse("portal:consultation_detail", args=[consultation.pk])
    assert "山田製作所" in client.get(url).content.decode()
    client.post(url, {"status": "in_progress", "note": "電話で状況を伺った。"})
    client.post(url, {"status": "done", "note": "関連する団体を紹介して完了。"})
    consultation.refresh_from_db()
    assert consultation.status == "done"
    assert consultation.completed_at is not None
    assert list(ConsultationNote.objects.values_list("text", flat=True)) == [
        "電話で状況を伺った。",
        "関連する団体を紹介して完了。",
    ]
    statuses = list(consultation.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["received", "in_progress", "done"]
    from portal.fiscal import current_fiscal_year
    from portal.selectors import coordination_figures

    figures = coordination_figures(fiscal_year=current_fiscal_year())
    assert (figures["consultations"], figures["consultations_done"]) == (1, 1)


def test_consultations_are_hidden_from_other_wards_and_roles(
    client, coordinator, coordinator_other_ward, partner_a, approver
):
    client.post(reverse("portal:consultation_new"), _form())
    consultation = ConsultationRequest.objects.get()
    url = reverse("portal:consultation_detail", args=[consultation.pk])
    client.force_login(coordinator_other_ward)
    assert client.get(url).status_code == 404
    listing = client.get(reverse("portal:consultation_list")).content.decode()
    assert "山田 太郎" not in listing and "山田製作所" not in listing
    for user in (partner_a, approver):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_list_queries_do_not_grow(client, coordinator, django_assert_max_num_queries):
    for i in range(5):
        ConsultationRequest.objects.create(
            name=f"相談者{i}",
            email="a@example.jp",
            topic="start",
            message="相談",
            ward=ward("13101"),
            assigned_to=coordinator,
        )
    client.force_login(coordinator)
    client.get(reverse("portal:consultation_list"))
    with django_assert_max_num_queries(12) as five:
        client.get(reverse("portal:consultation_list"))
    for i in range(25):
        ConsultationRequest.objects.create(
            name=f"追加{i}",
            email="a@example.jp",
            topic="start",
            message="相談",
            ward=ward("13101"),
            assigned_to=coordinator,
        )
    with django_assert_max_num_queries(len(five.captured_queries)):
        page = client.get(reverse("portal:consultation_list")).content.decode()
    assert "追加24" in page
