"""Personal data past its retention period is erased (privacy notice section 5): consultations
with their notes and history copies, unanswered FAQ questions, the mail log."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.models import (
    ConsultationNote,
    ConsultationRequest,
    ConsultationStatus,
    MailLog,
    UnansweredQuestion,
)
from portal.retention import personal_data_erase
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db

DAYS = settings.PERSONAL_DATA_RETENTION_DAYS


def _consultation(name, *, completed_days_ago=None):
    request = ConsultationRequest.objects.create(
        name=name,
        organization="子ども食堂ひまわり",
        email=f"{name}@example.jp",
        phone="03-1234-5678",
        topic="start",
        message=f"{name}です。食品の寄付先を探しています。",
        ward=ward("13101"),
    )
    ConsultationNote.objects.create(request=request, text=f"{name}さんへ電話で回答")
    if completed_days_ago is not None:
        request.status = ConsultationStatus.DONE
        request.completed_at = timezone.now() - datetime.timedelta(days=completed_days_ago)
        request.save()
    return request


def test_completed_consultations_past_the_period_are_erased_with_notes_and_history(
    client, coordinator
):
    old = _consultation("yamada", completed_days_ago=DAYS["consultations"] + 1)
    recent = _consultation("suzuki", completed_days_ago=DAYS["consultations"] - 1)
    open_for_long = _consultation("tanaka")
    ConsultationRequest.objects.filter(pk=open_for_long.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3 * DAYS["consultations"])
    )

    assert personal_data_erase()["consultations"] == 1
    assert personal_data_erase()["consultations"] == 0  # once

    old.refresh_from_db()
    assert (old.name, old.organization, old.email, old.phone, old.message) == ("", "", "", "", "")
    assert old.erased_at is not None and old.receipt_number and old.status == "done"
    assert [n.text for n in old.notes.all()] == [""]
    copies = old.history.all()
    assert copies.count() >= 2
    assert {(h.name, h.email, h.message) for h in copies} == {("", "", "")}
    for kept in (recent, open_for_long):
        kept.refresh_from_db()
        assert kept.erased_at is None and kept.email.endswith("@example.jp")
        assert kept.notes.get().text

    client.force_login(coordinator)
    page = client.get(reverse("portal:consultation_list")).content.decode()
    assert "個人情報は消去済み" in page and "yamada" not in page and "suzuki" in page


def test_old_unanswered_questions_and_sent_mail_records_are_deleted():
    now = timezone.now()
    old_q = UnansweredQuestion.objects.create(
        text="山田です。息子の進学について", asked_at=now - datetime.timedelta(days=366)
    )
    new_q = UnansweredQuestion.objects.create(text="英語で登録できますか", asked_at=now)
    sent = MailLog.objects.create(to="a@example.jp", kind="general", subject="s", status="sent")
    waiting = MailLog.objects.create(to="b@example.jp", kind="general", subject="s")
    recent = MailLog.objects.create(to="c@example.jp", kind="general", subject="s", status="sent")
    MailLog.objects.filter(pk__in=[sent.pk, waiting.pk]).update(
        created_at=now - datetime.timedelta(days=DAYS["mail_log"] + 1)
    )

    erased = personal_data_erase()

    assert (erased["unanswered_questions"], erased["mail_log"]) == (1, 1)
    assert list(UnansweredQuestion.objects.values_list("pk", flat=True)) == [new_q.pk]
    assert not UnansweredQuestion.objects.filter(pk=old_q.pk).exists()
    # A mail still waiting to go is not a record of the past.
    assert set(MailLog.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}


def test_the_privacy_notice_states_the_periods_in_both_languages(client):
    page = client.get(reverse("portal:privacy")).content.decode()
    assert f"イベントの終了から{DAYS['event_signups']}日後" in page
    assert f"相談の対応が完了してから{DAYS['consultations']}日後" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("portal:privacy")).content.decode()
    assert f"{DAYS['event_signups']} days after the event ends" in english


def test_erasure_runs_every_night_from_beat():
    from matching import tasks as matching_tasks
    from portal import tasks as portal_tasks

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert portal_tasks.personal_data_erase.name in schedule
    assert matching_tasks.event_signups_erase.name in schedule


def test_an_unknown_kind_is_refused_not_kept_forever():
    from portal.retention import retention_cutoff

    with pytest.raises(KeyError), time_machine.travel(timezone.now()):
        retention_cutoff("event_signup")
