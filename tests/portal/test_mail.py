"""Mail is a side effect: it leaves after commit, its headers are one line, a failure never
undoes the action (DESIGN: "Mail and tasks are sent after commit")."""

from __future__ import annotations

import logging
import smtplib

import pytest
from django.core import mail
from django.db import transaction

from portal.mail import header_text
from portal.models import MailLog, Notification
from portal.services import notification_send
from portal.tasks import mail_deliver
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory(username="member", email="member@example.jp", role="partner")


def test_mail_leaves_only_after_the_transaction_commits(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_send(recipients=[member], message="提案が届きました", url="/x/")
        assert mail.outbox == []  # still inside the transaction: nothing has left
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["member@example.jp"]]
    body = mail.outbox[0].body
    assert "提案が届きました" in body
    # The link is absolute (SITE_URL): a mail client cannot open a site path.
    assert "http://127.0.0.1:8000/x/" in body
    html = mail.outbox[0].alternatives[0]
    assert html.mimetype == "text/html" and 'href="http://127.0.0.1:8000/x/"' in html.content


def test_a_rolled_back_action_mails_no_one(member, django_capture_on_commit_callbacks):
    class Undo(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Undo),
        transaction.atomic(),
    ):
        notification_send(recipients=[member], message="承認しました")
        raise Undo
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_reason_with_line_breaks_still_makes_a_one_line_subject(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[member], message="修正を依頼します:\r\n資料を\n添えてください"
        )
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject
    assert subject == "[地域連携マッチング] 修正を依頼します: 資料を 添えてください"
    assert "資料を\n添えてください" in mail.outbox[0].body  # the body keeps the person's lines


def test_header_text_shortens_long_text_visibly():
    assert header_text("あ" * 100, limit=10) == "あ" * 9 + "…"
    assert header_text("  a\tb\r\nc  ") == "a b c"


def test_a_mail_server_outage_keeps_the_action_and_logs(
    member, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("portal.tasks.message_send", refuse)
    with (
        caplog.at_level(logging.ERROR, logger="portal.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification_send(recipients=[member], message="提案が届きました")
    assert Notification.objects.filter(recipient=member).count() == 1
    assert "mail not delivered to 1 recipient(s)" in caplog.text
    # Staff see it in the mail log: to whom, what, and that it failed.
    entry = MailLog.objects.get()
    assert (entry.to, entry.status, entry.attempts) == ("member@example.jp", "failed", 1)
    assert "gone" in entry.error


def test_a_worker_hands_a_failed_delivery_back_for_a_retry(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr("portal.tasks.message_send", refuse)
    # Called as a worker would (not eagerly): the failure goes back to Celery to retry later.
    with pytest.raises(ConnectionRefusedError):
        mail_deliver(to=["member@example.jp"], subject="s", body="b")
