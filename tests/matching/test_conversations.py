"""A conversation per proposal and per project: who takes part, attachments, notices, reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from matching.conversations.models import Attachment, Message, Thread, ThreadRead
from matching.conversations.services import message_post
from matching.models import Decision, Proposal
from matching.proposals.services import proposal_create
from partners.models import OrgStatus
from portal.mail import absolute_url
from portal.models import AccessLog, MailLog, Notification
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import ResourceFactory
from tests.portal.factories import UserFactory, ward
from tests.portal.test_attachments import PDF, PNG, ooxml

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{40})"')


@pytest.fixture
def proposal(org_a, coordinator, approver) -> Proposal:
    """The ward's proposal (千代田区) to org_a, sent by the approver."""
    issue = IssueFactory(ward=ward("13101"), coordinator=coordinator)
    decision = Decision.objects.create(
        issue=issue, resource=ResourceFactory(organization=org_a), verdict="approved"
    )
    return proposal_create(decision=decision, created_by=approver)


@pytest.fixture
def project(org_a, coordinator):
    made = ProjectFactory(title="神田地区の見守り実証", ward=ward("13101"), coordinator=coordinator)
    made.organizations.set([org_a])
    return made


def url_of(subject) -> str:
    if isinstance(subject, Proposal):
        return reverse("matching:conversation_proposal", args=[subject.pk])
    return reverse("matching:conversation_project", args=[subject.pk])


def post(client, subject, body="", files=(), **headers):
    url = url_of(subject)
    token = TOKEN.search(client.get(url).content.decode())
    data = {"body": body, "form_token": token.group(1) if token else ""}
    if files:
        data["attachments"] = list(files)
    return client.post(url, data, headers=headers)


def stored_files() -> set[str]:
    return {p.name for p in Path(settings.PRIVATE_MEDIA_ROOT).glob("attachments/*")}


# ------------------------------------------------------------------------ who takes part

PARTIES = {
    "partner_a": 200,  # a member of the organisation
    "partner_b": 404,  # another organisation: its existence is not revealed
    "coordinator": 200,  # the ward's staff
    "approver": 200,
    "coordinator_other_ward": 404,  # another ward
    "admin_user": 200,
    "evaluator": 403,  # no party to conversations at all
}


@pytest.mark.parametrize("subject_name", ["proposal", "project"])
@pytest.mark.parametrize("who", sorted(PARTIES))
def test_who_may_open_a_conversation(client, request, subject_name, who, partner_b):
    subject = request.getfixturevalue(subject_name)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url_of(subject)).status_code == PARTIES[who]


def test_anonymous_is_sent_to_the_login_page(client, proposal):
    response = client.get(url_of(proposal))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_message_to_a_project_the_user_does_not_belong_to_is_refused_and_logged(
    client, project, partner_b
):
    client.force_login(partner_b)
    response = client.post(url_of(project), {"body": "割り込みます"})
    assert response.status_code == 404
    assert not Message.objects.exists()
    refusal = AccessLog.objects.get(kind="denied", user=partner_b)
    assert refusal.path == url_of(project) and refusal.detail.startswith("404")


def test_the_service_refuses_a_writer_who_is_no_party(project, partner_b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        message_post(subject=project, user=partner_b, body="x")
    assert not Thread.objects.exists()


def test_a_suspended_organisations_member_reads_but_no_longer_writes(
    client, project, partner_a, coordinator, org_a
):
    message_post(subject=project, user=coordinator, body="来週の打合せについて")
    org_a.status = OrgStatus.SUSPENDED
    org_a.save(update_fields=["status"])
    client.force_login(partner_a)
    page = client.get(url_of(project)).content.decode()
    assert "来週の打合せについて" in page and "送信する" not in page
    assert client.post(url_of(project), {"body": "返信"}).status_code == 403
    assert Message.objects.count() == 1


def test_partners_see_only_their_own_threads_in_the_list(
    client, proposal, project, partner_a, partner_b, org_b, coordinator
):
    other = ProjectFactory(title="城北大学との連携", ward=ward("13101"))
    other.organizations.set([org_b])
    message_post(subject=project, user=coordinator, body="a")
    message_post(subject=proposal, user=coordinator, body="b")
    message_post(subject=other, user=coordinator, body="c")
    client.force_login(partner_a)
    page = client.get(reverse("matching:conversations")).content.decode()
    assert "神田地区の見守り実証" in page and proposal.issue.title in page
    assert "城北大学との連携" not in page
    client.force_login(partner_b)
    page = client.get(reverse("matching:conversations")).content.decode()
    assert "城北大学との連携" in page and "神田地区の見守り実証" not in page


# ------------------------------------------------------------------------ writing and reading


def test_partner_writes_the_ward_is_told_replies_and_the_partner_sees_it_read(
    client, project, partner_a, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(partner_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, project, "現地調査の日程を相談させてください。")
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.side == "partner" and message.author == partner_a
    notice = Notification.objects.get(recipient=coordinator)
    assert notice.url == url_of(project)
    mailed = [m for m in mail.outbox if coordinator.email in m.to]
    assert mailed and absolute_url(url_of(project)) in mailed[0].body
    assert "\n" not in mailed[0].subject

    client.force_login(coordinator)
    page = client.get(url_of(project)).content.decode()
    assert "現地調査の日程を相談させてください。" in page
    with django_capture_on_commit_callbacks(execute=True):
        post(client, project, "12月3日はいかがでしょうか。")
    assert Notification.objects.filter(recipient=partner_a).exists()

    client.force_login(partner_a)
    page = client.get(url_of(project)).content.decode()
    assert "12月3日はいかがでしょうか。" in page
    # The partner's own first message was read by the coordinator (per person).
    first = page.split("現地調査の日程を相談させてください。", 1)[1]
    assert f"既読: {coordinator}" in first
    # The reply is shown to the partner, who is reading it now.
    assert f"既読: {partner_a}" in page.split("12月3日はいかがでしょうか。", 1)[1]
    assert ThreadRead.objects.get(user=partner_a).last_message_id == Message.objects.last().pk


def test_a_message_mails_as_each_person_chose_in_their_notice_settings(
    client, project, partner_a, coordinator, approver, django_capture_on_commit_callbacks
):
    # The coordinator takes messages in the portal only; the approver, who wrote before, by mail.
    coordinator.mail_muted = ["message"]
    coordinator.save(update_fields=["mail_muted"])
    message_post(subject=project, user=approver, body="担当を引き継ぎます。")
    client.force_login(partner_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, project, "資料を添付します。")
    assert Notification.objects.filter(recipient=coordinator).exists()
    assert [m.to for m in mail.outbox] == [[approver.email]]
    sent = mail.outbox[0]
    assert sent.subject.startswith("[地域連携マッチング] 新しいメッセージ")
    html, _type = sent.alternatives[0]
    assert absolute_url(url_of(project)) in html
    assert absolute_url(reverse("portal:notice_settings")) in sent.body
    assert MailLog.objects.get(to=approver.email).kind == "message"


def test_the_thread_is_created_once_and_keeps_an_audit_trail(
    client, proposal, partner_a, coordinator
):
    message_post(subject=proposal, user=partner_a, body="質問があります")
    message_post(subject=proposal, user=coordinator, body="どうぞ")
    thread = Thread.objects.get()
    assert thread.proposal == proposal and thread.messages.count() == 2
    history = Message.history.filter(thread_id=thread.pk)
    assert {h.history_user for h in history} == {partner_a, coordinator}


def test_the_same_message_sent_twice_is_stored_once(client, project, partner_a):
    client.force_login(partner_a)
    token = TOKEN.search(client.get(url_of(project)).content.decode()).group(1)
    data = {"body": "一度だけ", "form_token": token}
    client.post(url_of(project), data)
    client.post(url_of(project), data)
    assert Message.objects.count() == 1


def test_an_empty_message_is_refused(client, project, partner_a):
    client.force_login(partner_a)
    response = post(client, project, "   ")
    assert response.status_code == 400
    assert "メッセージを入力するか、ファイルを添付してください。" in response.content.decode()
    assert not Message.objects.exists()


def test_htmx_post_swaps_the_thread_with_a_fresh_form(client, project, partner_a):
    client.force_login(partner_a)
    response = post(client, project, "HTMXから", **{"HX-Request": "true"})
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert 'id="thread"' in text and "HTMXから" in text
    assert 'hx-disabled-elt="find button"' in text and 'hx-encoding="multipart/form-data"' in text


# ------------------------------------------------------------------------ attachments


def test_attachments_are_stored_outside_media_and_served_only_to_parties(
    client, project, partner_a, partner_b, coordinator, evaluator
):
    client.force_login(partner_a)
    files = [
        SimpleUploadedFile("計画書.pdf", PDF),
        SimpleUploadedFile("現地写真.png", PNG),
        SimpleUploadedFile("見積.xlsx", ooxml("xl/workbook.xml")),
    ]
    assert post(client, project, "資料を送ります", files).status_code == 302
    stored = list(Attachment.objects.order_by("pk"))
    assert [a.name for a in stored] == ["計画書.pdf", "現地写真.png", "見積.xlsx"]
    pdf = stored[0]
    path = Path(pdf.file.path)
    assert path.read_bytes() == PDF
    assert str(path).startswith(str(Path(settings.PRIVATE_MEDIA_ROOT).resolve()))
    assert not str(path).startswith(str(Path(settings.MEDIA_ROOT).resolve()))
    assert "計画書.pdf" not in path.name  # a random name on disk
    url = reverse("matching:attachment_download", args=[pdf.pk])
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AccessLog.objects.filter(kind="view_personal", detail__contains=str(pdf.pk)).exists()
    client.force_login(partner_b)
    assert client.get(url).status_code == 404
    client.force_login(evaluator)
    assert client.get(url).status_code == 403


def test_an_attachment_that_is_not_what_its_name_says_is_refused_and_logged(
    client, project, partner_a
):
    before = stored_files()
    client.force_login(partner_a)
    fake = SimpleUploadedFile("請求書.pdf", b"MZ\x90\0 this is a program")
    response = post(client, project, "請求書です", [fake])
    text = response.content.decode()
    assert response.status_code == 400
    assert "「請求書.pdf」は名前（.pdf）と中身が一致しません。" in text
    assert "請求書です" in text  # what was typed is kept
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == before
    assert AccessLog.objects.filter(
        kind="denied", user=partner_a, detail__contains="中身が一致しません"
    ).exists()


def test_a_file_over_the_size_limit_is_refused(client, project, partner_a, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(partner_a)
    big = SimpleUploadedFile("大きい.pdf", PDF + b"\0" * (1024 * 1024))
    response = post(client, project, "", [big])
    assert response.status_code == 400
    assert "「大きい.pdf」が大きすぎます（上限 1 MB）" in response.content.decode()
    assert not Message.objects.exists()


# ------------------------------------------------------------------------ bounded reads


def test_thread_page_query_count_does_not_grow_with_messages(
    client, project, partner_a, coordinator, django_assert_max_num_queries
):
    for i in range(3):
        message_post(subject=project, user=coordinator, body=f"連絡 {i}")
    client.force_login(partner_a)
    client.get(url_of(project))  # the first visit of the day records activity
    with django_assert_max_num_queries(12) as few:
        client.get(url_of(project))
    for i in range(30):
        message_post(
            subject=project,
            user=partner_a if i % 2 else coordinator,
            body=f"返信 {i}",
            files=[SimpleUploadedFile(f"写真{i}.png", PNG)],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url_of(project))


def test_thread_list_query_count_does_not_grow(
    client, org_a, coordinator, partner_a, django_assert_max_num_queries
):
    def projects(n):
        for i in range(n):
            made = ProjectFactory(ward=ward("13101"))
            made.organizations.set([org_a])
            message_post(subject=made, user=coordinator, body=f"件 {i}")

    projects(2)
    client.force_login(partner_a)
    client.get(reverse("matching:conversations"))
    with django_assert_max_num_queries(6) as few:
        page = client.get(reverse("matching:conversations")).content.decode()
    assert page.count('class="badge"') >= 2  # unread counts shown
    projects(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("matching:conversations"))


def test_the_staff_who_answer_are_the_coordinator_or_else_the_wards_coordinators(
    org_a, partner_a, django_capture_on_commit_callbacks
):
    nobody = ProjectFactory(ward=ward("13113"), coordinator=None)
    nobody.organizations.set([org_a])
    shibuya = UserFactory(role="coordinator", ward=ward("13113"))
    chiyoda = UserFactory(role="coordinator", ward=ward("13101"))
    message_post(subject=nobody, user=partner_a, body="担当の方へ")
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {shibuya.pk} and chiyoda.pk not in told
