"""An approved proposal reaches a person: the organisation's members in the portal, else its
contacts by a mailed, expiring link with which they answer and can become members; one that
reaches no one is shown to staff and becomes a task (issue #13, items 1, 4 and 5)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matching.models import Candidate, Proposal
from matching.projects.models import Project
from partners.models import ContactLink, Membership, Outreach
from portal.fiscal import date_label
from portal.models import AccessLog, Notification
from tests.matching.factories import proposal_candidate
from tests.partners.factories import (
    ContactPersonFactory,
    OrganizationFactory,
    ResourceFactory,
    partner_user,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/matching/partner/proposals/\d+/link/[\w-]+/")
NOTE = "まず神田司町の20世帯で試行してください。"


@pytest.fixture
def pair(coordinator):
    return proposal_candidate(coordinator)


def approve(client, approver, candidate, **extra) -> Proposal:
    client.force_login(approver)
    data = {"verdict": "approved", "version": candidate.version, "comment": NOTE, **extra}
    response = client.post(reverse("matching:candidate_decide", args=[candidate.pk]), data)
    assert response.status_code == 302, response.content.decode()[:500]
    return Proposal.objects.get(issue=candidate.issue, resource=candidate.resource)


def outreach(proposal: Proposal) -> Outreach:
    return Outreach.objects.get(topic="proposal", topic_id=proposal.pk)


def contact_link(message) -> str:
    return LINK.search(message.body).group(0)


def test_members_are_told_in_the_portal_and_by_mail(
    client, approver, pair, django_capture_on_commit_callbacks
):
    _issue, org, candidate = pair
    member = partner_user(org, "mimamori")
    ContactPersonFactory(organization=org, email="contact@mimamori.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = approve(client, approver, candidate)
    assert Notification.objects.filter(recipient=member).count() == 1
    assert [m.to for m in mail.outbox] == [[member.email]]  # the contact is not mailed
    message = mail.outbox[0]
    # A short subject with the deadline, not the approver's whole comment.
    assert NOTE not in message.subject and "回答期限" in message.subject
    assert f"http://127.0.0.1:8000/matching/partner/proposals/{proposal.pk}/" in message.body
    assert (outreach(proposal).members, outreach(proposal).contacts) == (1, 0)


def test_without_members_each_contact_gets_a_link_that_answers_and_creates_a_member(
    client, approver, pair, django_capture_on_commit_callbacks
):
    issue, org, candidate = pair
    ContactPersonFactory(organization=org, name="見守 花子", email="hanako@mimamori.example.jp")
    ContactPersonFactory(organization=org, email="soumu@mimamori.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = approve(client, approver, candidate)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hanako@mimamori.example.jp",
        "soumu@mimamori.example.jp",
    ]
    assert (outreach(proposal).members, outreach(proposal).contacts) == (0, 2)
    message = next(m for m in mail.outbox if m.to == ["hanako@mimamori.example.jp"])
    assert message.alternatives and message.alternatives[0].mimetype == "text/html"
    link = contact_link(message)
    assert NOTE in message.body

    client.logout()
    page = client.get(link)
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        issue.title,
        NOTE,  # the approver's note
        "300,000円",  # budget
        date_label(datetime.date(2027, 4, 1)),  # desired period
        date_label(proposal.deadline),
        "地域振興部 協働推進課",  # the ward contact
        issue.coordinator.email,
    ):
        assert shown in text, shown

    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(link, {"action": "answer", "answer": "accept", "reason": "ぜひ"})
    assert answered.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED and proposal.response_reason == "ぜひ"
    assert Project.objects.filter(proposal=proposal).exists()
    assert Notification.objects.filter(recipient=issue.coordinator, message__contains="見守 花子")

    joined = client.post(
        link,
        {
            "action": "join",
            "username": "hanako",
            "password1": "Mimamori-Sensor-2026!",
            "password2": "Mimamori-Sensor-2026!",
        },
    )
    assert joined.status_code == 302
    assert joined["Location"] == reverse("matching:partner_proposal", args=[proposal.pk])
    membership = Membership.objects.select_related("user").get(organization=org)
    assert membership.user.email == "hanako@mimamori.example.jp"
    # Signed in as the new member, who sees the proposal and its project in the portal.
    assert client.get(joined["Location"]).status_code == 200
    assert issue.title in client.get(reverse("matching:partner_proposals")).content.decode()


def test_the_approver_sets_the_deadline_and_the_default_is_14_tokyo_days(client, approver, pair):
    issue, org, candidate = pair
    ContactPersonFactory(organization=org)
    chosen = timezone.localdate() + datetime.timedelta(days=30)
    proposal = approve(client, approver, candidate, deadline=chosen.isoformat())
    assert proposal.deadline == chosen

    other = Candidate.objects.create(
        issue=issue, resource=ResourceFactory(organization=org), rank=2, score=0.5
    )
    assert approve(client, approver, other).deadline == timezone.localdate() + datetime.timedelta(
        days=14
    )


def test_a_deadline_in_the_past_is_refused_and_nothing_is_sent(client, approver, pair):
    _issue, org, candidate = pair
    ContactPersonFactory(organization=org)
    client.force_login(approver)
    client.post(
        reverse("matching:candidate_decide", args=[candidate.pk]),
        {
            "verdict": "approved",
            "version": candidate.version,
            "deadline": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert not Proposal.objects.exists()
    candidate.refresh_from_db()
    assert candidate.verdict == ""


def test_no_reachable_contact_is_shown_to_staff_and_becomes_a_task(
    client, approver, coordinator, pair, django_capture_on_commit_callbacks
):
    _issue, org, candidate = pair
    with django_capture_on_commit_callbacks(execute=True):
        proposal = approve(client, approver, candidate)
    assert outreach(proposal).reached == 0
    assert mail.outbox == []

    client.force_login(coordinator)
    listing = client.get(reverse("matching:proposals") + "?reach=none").content.decode()
    assert "連絡先がありません" in listing and org.name in listing
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "届いていない提案・招待" in dashboard
    assert "1 件の提案が、連絡できる相手のいない団体に送られています。" in dashboard

    # Staff add a contact and send it again: now it reaches someone, the task is gone.
    ContactPersonFactory(organization=org, email="new@mimamori.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:proposal_resend", args=[proposal.pk]))
    assert outreach(proposal).contacts == 1
    assert [m.to for m in mail.outbox] == [["new@mimamori.example.jp"]]
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "送った提案と招待は、すべて団体の誰かに届いています。" in dashboard


# ------------------------------------------------------------------ bad input


@pytest.fixture
def mailed(client, approver, pair, django_capture_on_commit_callbacks):
    _issue, org, candidate = pair
    ContactPersonFactory(organization=org, email="hanako@mimamori.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = approve(client, approver, candidate)
    client.logout()
    return proposal, contact_link(mail.outbox[-1])


def refused(response, text: str) -> None:
    assert response.status_code == 400
    assert text in response.content.decode()
    entry = AccessLog.objects.filter(kind=AccessLog.Kind.DENIED).first()
    assert entry is not None and "contact link" in entry.detail
    assert entry.path.endswith("/link/…/")  # the token itself is not kept in the log


def test_an_expired_link_is_refused_and_changes_nothing(client, mailed):
    proposal, link = mailed
    ContactLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.post(link, {"action": "answer", "answer": "accept"})
    refused(response, "有効期限")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT


def test_a_link_used_on_another_organisations_proposal_is_refused(client, approver, mailed):
    proposal, link = mailed
    other_org = OrganizationFactory(name="別の団体")
    ContactPersonFactory(organization=other_org)
    other = Proposal.objects.create(
        issue=proposal.issue,
        resource=ResourceFactory(organization=other_org),
        organization=other_org,
        deadline=proposal.deadline,
    )
    forged = link.replace(f"/proposals/{proposal.pk}/", f"/proposals/{other.pk}/")
    response = client.post(forged, {"action": "answer", "answer": "accept"})
    refused(response, "別の団体")
    other.refresh_from_db()
    assert other.status == Proposal.Status.SENT


def test_a_made_up_token_is_refused(client, mailed):
    _proposal, link = mailed
    refused(client.get(link.rsplit("/", 2)[0] + "/not-a-token/"), "このリンクは無効です")


def test_the_account_link_works_once(client, mailed):
    _proposal, link = mailed
    data = {
        "action": "join",
        "username": "hanako",
        "password1": "Mimamori-Sensor-2026!",
        "password2": "Mimamori-Sensor-2026!",
    }
    assert client.post(link, data).status_code == 302
    client.logout()
    again = client.post(link, {**data, "username": "hanako2"})
    refused(again, "既に利用者アカウントが作成されています")
    assert Membership.objects.count() == 1


def test_a_proposal_answered_twice_keeps_the_first_answer(client, mailed):
    proposal, link = mailed
    assert client.post(link, {"action": "answer", "answer": "accept"}).status_code == 302
    second = client.post(link, {"action": "answer", "answer": "decline", "reason": "やめます"})
    assert second.status_code == 200
    assert "既に回答済み" in second.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED and proposal.response_reason == ""
    assert Project.objects.filter(proposal=proposal).count() == 1
    entry = AccessLog.objects.filter(kind=AccessLog.Kind.DENIED).first()
    assert entry is not None and f"proposal={proposal.pk} answer refused" in entry.detail


def test_a_member_answering_twice_is_refused_and_logged(client, approver, pair):
    _issue, org, candidate = pair
    member = partner_user(org, "mimamori")
    proposal = approve(client, approver, candidate)
    client.force_login(member)
    url = reverse("matching:partner_proposal", args=[proposal.pk])
    assert client.post(url, {"answer": "decline", "reason": "時期が合わない"}).status_code == 302
    second = client.post(url, {"answer": "accept"})
    assert "既に回答済み" in second.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECLINED
    assert AccessLog.objects.filter(
        kind=AccessLog.Kind.DENIED, detail__contains=f"proposal={proposal.pk}"
    ).exists()
