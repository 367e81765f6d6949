"""Each person chooses which notices also come by mail (in-app always); staff read the mail log."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from portal.models import AccessLog, MailLog, NoticeKind, Notification
from portal.services import notification_send
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_muted_kind_arrives_in_the_portal_but_not_by_mail(
    client, django_capture_on_commit_callbacks
):
    person = UserFactory(username="hanako", role="partner", email="hanako@example.jp")
    client.force_login(person)
    page = client.get(reverse("portal:notice_settings")).content.decode()
    assert "連携の提案と回答" in page
    kept = [kind for kind in NoticeKind.values if kind != NoticeKind.EVENT]
    assert client.post(reverse("portal:notice_settings"), {"mailed": kept}).status_code == 302
    person.refresh_from_db()
    assert person.mail_muted == [NoticeKind.EVENT]
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[person], message="招待", kind=NoticeKind.EVENT)
        notification_send(recipients=[person], message="提案", kind=NoticeKind.PROPOSAL)
    assert Notification.objects.filter(recipient=person).count() == 2
    assert [m.subject for m in mail.outbox] == ["[地域連携マッチング] 提案"]


def test_the_mail_log_records_who_what_when_and_delivery(
    client, coordinator, django_capture_on_commit_callbacks
):
    person = UserFactory(username="taro", role="partner", email="taro@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[person], message="連携の提案が届きました", kind=NoticeKind.PROPOSAL
        )
    entry = MailLog.objects.get()
    assert (entry.to, entry.recipient, entry.kind, entry.status) == (
        "taro@example.jp",
        person,
        "proposal",
        "sent",
    )
    assert entry.sent_at is not None
    client.force_login(coordinator)
    page = client.get(reverse("portal:mail_log") + "?status=sent").content.decode()
    assert "taro@example.jp" in page and "送信済み" in page
    assert AccessLog.objects.filter(kind="view_personal", detail="mail-log").exists()


def test_partners_cannot_read_the_mail_log(client, partner_a):
    client.force_login(partner_a)
    assert client.get(reverse("portal:mail_log")).status_code == 403
