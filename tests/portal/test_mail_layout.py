"""Every mail the portal writes: in its recipient's language (not the language of whoever
caused it), through the shared layout (greeting and footer), with a subject that is never cut
inside a word."""

from __future__ import annotations

import ast
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from partners.models import OrgStatus
from portal.mail import header_text, language_for
from portal.models import Notification, User
from portal.services import notification_send
from tests.partners.factories import ContactPersonFactory, OrganizationFactory, partner_user
from tests.portal.factories import UserFactory

FOOTER_JA = "地域連携マッチング（東京都特別区 × 企業・大学）からのお知らせです。"
FOOTER_EN = "A notice from the community collaboration matching portal"
ROOT = Path(settings.BASE_DIR)


def _review(client, reviewer, org, *, ui: str, capture) -> None:
    client.force_login(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ui
    with capture(execute=True):
        response = client.post(
            reverse("partners:org_review", args=[org.pk]),
            {"action": "changes", "reason": "資料を添えてください"},
        )
    assert response.status_code == 302


@pytest.mark.django_db
def test_english_ui_staff_mail_a_japanese_partner_in_japanese(
    client, approver, django_capture_on_commit_callbacks
):
    org = OrganizationFactory(status=OrgStatus.PENDING)
    member = partner_user(org, "ja_member")  # no language chosen: the portal's (ja)
    _review(client, approver, org, ui="en", capture=django_capture_on_commit_callbacks)
    [sent] = [m for m in mail.outbox if m.to == [member.email]]
    assert sent.subject == "[地域連携マッチング] 団体の審査結果: 修正依頼中"
    assert FOOTER_JA in sent.body and "修正依頼中" in sent.body
    assert "Changes requested" not in sent.body
    assert "修正依頼中" in Notification.objects.get(recipient=member).message


@pytest.mark.django_db
def test_japanese_ui_staff_mail_a_partner_who_prefers_english_in_english(
    client, approver, django_capture_on_commit_callbacks
):
    org = OrganizationFactory(status=OrgStatus.PENDING)
    member = partner_user(org, "en_member")
    member.language = "en"
    member.save()
    _review(client, approver, org, ui="ja", capture=django_capture_on_commit_callbacks)
    [sent] = [m for m in mail.outbox if m.to == [member.email]]
    assert sent.subject.startswith("[Community Collaboration Matching] ")
    assert "Changes requested" in sent.subject
    assert FOOTER_EN in sent.body and FOOTER_JA not in sent.body
    # The notice keeps its msgid (portal.localtext): it reads in English in the English UI.
    notice = Notification.objects.get(recipient=member)
    with translation.override(member.language):
        assert "Changes requested" in notice.local_message


def test_language_for_a_contact_without_account_is_the_portals():
    assert language_for(None) == settings.LANGUAGE_CODE == "ja"


@pytest.mark.django_db
def test_the_same_number_mail_greets_by_name_and_has_the_footer(
    django_capture_on_commit_callbacks,
):
    from partners.services import registration_submit

    holder = OrganizationFactory(name="株式会社ほんもの", corporate_number="1180301018771")
    contact = ContactPersonFactory(organization=holder, name="本物 花子")
    # Someone applies in the English UI; the holder's contact has no account: Japanese.
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        registration_submit(
            data={
                "name": "株式会社にせもの",
                "org_type": "company",
                "corporate_number": "1180301018771",
                "contact_name": "申込 太郎",
                "contact_email": "apply@example.jp",
                "resource_kind": "people",
                "resource_title": "見守り",
                "resource_description": "見守りを行います。",
            }
        )
    [sent] = [m for m in mail.outbox if m.to == [contact.email]]
    # The applicant's own mails come in the language they registered in (User.language).
    assert User.objects.get(email="apply@example.jp").language == "en"
    assert sent.subject == "[地域連携マッチング] 同じ法人番号での登録申し込み"
    assert sent.body.startswith("本物 花子 様")
    assert "1180301018771" in sent.body and FOOTER_JA in sent.body
    assert FOOTER_JA in sent.alternatives[0].content


def test_every_mail_is_sent_through_the_shared_layout():
    """Only portal.mail (mail_template_send) and portal.bookings (whose templates include the
    footer) hand a body to mail_send; every mail template greets and ends with the footer."""
    callers = set()
    apps = ("config", "evaluation", "matching", "issues", "partners", "portal")
    for path in (path for app in apps for path in (ROOT / app).glob("**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "mail_send":
                callers.add(str(path.relative_to(ROOT)))
    assert callers == {"portal/mail.py", "portal/bookings.py"}
    texts = [p for p in (ROOT / "templates").glob("**/mail/*.txt") if not p.name.startswith("_")]
    assert len(texts) >= 7
    for template in texts:
        text = template.read_text(encoding="utf-8")
        assert '{% include "portal/mail/_footer.txt" %}' in text, template
        assert " 様" in text, template
    for template in (ROOT / "templates").glob("**/mail/*.html"):
        if not template.name.startswith("_"):
            assert '{% extends "portal/mail/_layout.html" %}' in template.read_text(), template


LONG_EN = (
    "Your proposal for the neighbourhood watch programme in Kanda-Tsukasamachi was accepted "
    "and a project has been created"
)
LONG_JA = "神田司町の二十世帯での見守り活動の試行についての提案が採択され、" * 3


@pytest.mark.django_db
@pytest.mark.parametrize("subject", [LONG_EN, LONG_JA])
def test_a_long_subject_arrives_whole_folded_not_cut(subject, django_capture_on_commit_callbacks):
    user = UserFactory(username="reader", email="reader@example.jp", role="partner")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[user], message="本文", subject=subject)
    [sent] = mail.outbox
    assert sent.subject == f"[地域連携マッチング] {subject}"
    raw = sent.message().as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert all(len(line) <= 78 for line in head.splitlines())  # folded (RFC 5322 2.1.1)
    parsed = message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == sent.subject


def test_a_shortened_header_ends_at_a_word_boundary():
    assert header_text("alpha beta gamma", limit=9) == "alpha…"
    assert header_text("alpha beta gamma", limit=12) == "alpha beta…"
    assert header_text(LONG_EN, limit=78).endswith("was…")
    # Japanese has no spaces between words: it may end after any character.
    assert header_text("あ" * 100, limit=10) == "あ" * 9 + "…"
    assert (
        header_text("[地域連携マッチング] " + "あ" * 100, limit=20)
        == "[地域連携マッチング] " + "あ" * 7 + "…"
    )


@pytest.mark.django_db
def test_a_person_chooses_the_language_of_their_mail_and_bad_choice_changes_nothing(client):
    user = UserFactory(username="chooser", email="chooser@example.jp", role="partner")
    client.force_login(user)
    url = reverse("portal:notice_settings")
    assert client.post(url, {"mailed": ["review"], "language": "en"}).status_code == 302
    user.refresh_from_db()
    assert user.language == "en" and language_for(user) == "en"
    response = client.post(url, {"mailed": [], "language": "klingon"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.language == "en" and "review" not in user.mail_muted


@pytest.mark.django_db
def test_english_ui_staff_invite_a_contact_without_account_in_japanese(
    client, coordinator, django_capture_on_commit_callbacks
):
    org = OrganizationFactory(name="株式会社みなとテック")
    contact = ContactPersonFactory(organization=org, name="田中 一郎")
    client.force_login(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("partners:contact_invite", args=[org.pk, contact.pk]))
    [sent] = mail.outbox
    assert sent.subject == "[地域連携マッチング] 利用者アカウント作成のご案内"
    assert sent.body.startswith("田中 一郎 様") and FOOTER_JA in sent.body
