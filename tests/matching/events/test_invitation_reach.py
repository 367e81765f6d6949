"""Event invitations go to organisations: members in the portal, else contacts by a mailed
link; the coordinator is told how many organisations were reached and which were not."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matching.events.models import Event, EventTheme, Invitation, InvitationStatus
from matching.models import Candidate
from partners.models import Membership, Outreach
from portal.fiscal import WEEKDAYS_JA
from portal.models import AccessLog
from tests.issues.factories import IssueFactory
from tests.partners.factories import (
    ContactPersonFactory,
    OrganizationFactory,
    ResourceFactory,
    partner_user,
)
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/matching/events/\d+/invitation/[\w-]+/")
MEETING = "https://meet.example.jp/mimamori-2026"


@pytest.fixture
def event(coordinator):
    starts = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    starts += datetime.timedelta(days=10)
    event = Event.objects.create(
        title="見守りテック交流会",
        theme=EventTheme.objects.get(name="DX"),
        format="hybrid",
        venue="千代田区役所 4階会議室",
        meeting_url=MEETING,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        capacity=20,
        registration_deadline=starts - datetime.timedelta(days=2),
        created_by=coordinator,
    )
    event.wards.add(ward("13101"))
    return event


@pytest.fixture
def programme(client, coordinator, event):
    """Three organisations: one with a member, one with contacts only, one with nobody."""
    with_member = OrganizationFactory(name="A 会員のいる団体")
    partner_user(with_member, "member_a")
    contacts_only = OrganizationFactory(name="B 担当者だけの団体")
    ContactPersonFactory(organization=contacts_only, name="連絡 花子", email="b@example.jp")
    nobody = OrganizationFactory(name="C 連絡先のない団体")
    candidates = [
        Candidate.objects.create(
            issue=IssueFactory(coordinator=coordinator),
            resource=ResourceFactory(organization=org),
            rank=1,
            score=0.8,
            shortlisted=True,
        )
        for org in (with_member, contacts_only, nobody)
    ]
    client.force_login(coordinator)
    client.post(
        reverse("matching:event_programme", args=[event.pk]),
        {"candidates": [c.pk for c in candidates]},
    )
    return with_member, contacts_only, nobody


def invite(client, event, capture):
    with capture(execute=True):
        response = client.post(reverse("matching:event_invite", args=[event.pk]))
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_invitations_count_organisations_reached_and_unreachable(
    client, event, programme, django_capture_on_commit_callbacks
):
    with_member, contacts_only, nobody = programme
    said = invite(client, event, django_capture_on_commit_callbacks)
    assert "2 団体に招待を送りました。" in said
    assert any("C 連絡先のない団体" in text and "届いていません" in text for text in said)
    reach = {
        row.organization_id: (row.members, row.contacts)
        for row in Outreach.objects.filter(topic="event", topic_id=event.pk)
    }
    assert reach == {with_member.pk: (1, 0), contacts_only.pk: (0, 1), nobody.pk: (0, 0)}
    # The member and the coordinator (issue owner) in the portal; the contact by mail.
    assert set(event.invitations.values_list("user__username", "contact__name")) == {
        ("member_a", None),
        ("coord_chiyoda", None),
        (None, "連絡 花子"),
    }
    detail = client.get(reverse("matching:event_detail", args=[event.pk])).content.decode()
    assert "連絡先がありません" in detail and "担当者 1 人にメールしました" in detail
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "C 連絡先のない団体" in dashboard

    # Invited again: nobody is told twice; the unreachable one is tried again.
    mail.outbox.clear()
    said = invite(client, event, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert any("C 連絡先のない団体" in text for text in said)


def test_the_contact_mail_has_the_date_with_weekday_and_venue_but_not_the_meeting_url(
    client, event, programme, django_capture_on_commit_callbacks
):
    invite(client, event, django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if m.to == ["b@example.jp"]]
    starts = timezone.localtime(event.starts_at)
    weekday = WEEKDAYS_JA[starts.weekday()]
    assert (
        f"{starts.year}年{starts.month}月{starts.day}日（{weekday}） 14:00〜16:00" in message.body
    )
    assert "千代田区役所 4階会議室" in message.body
    assert MEETING not in message.body  # only to people with a seat
    assert LINK.search(message.body)


def test_the_contact_registers_through_the_link_and_then_becomes_a_member(
    client, event, programme, django_capture_on_commit_callbacks
):
    _with_member, contacts_only, _nobody = programme
    invite(client, event, django_capture_on_commit_callbacks)
    link = LINK.search(next(m for m in mail.outbox if m.to == ["b@example.jp"]).body).group(0)
    client.logout()
    mail.outbox.clear()
    assert "見守りテック交流会" in client.get(link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(link, {"action": "register"}).status_code == 302
    invitation = Invitation.objects.get(event=event, contact__email="b@example.jp")
    assert invitation.status == InvitationStatus.REGISTERED
    (confirmation,) = mail.outbox
    assert invitation.checkin_code in confirmation.body and MEETING in confirmation.body

    response = client.post(
        link,
        {
            "action": "join",
            "username": "renraku",
            "password1": "Renraku-Hanako-2026!",
            "password2": "Renraku-Hanako-2026!",
        },
    )
    assert response["Location"] == reverse("matching:event_my_invitations")
    member = Membership.objects.get(organization=contacts_only).user
    invitation.refresh_from_db()
    assert invitation.user == member  # the invitation is now the member's own
    page = client.get(reverse("matching:event_my_invitations")).content.decode()
    assert invitation.checkin_code in page


def test_registering_after_the_deadline_through_a_link_is_refused_and_logged(
    client, event, programme, django_capture_on_commit_callbacks
):
    invite(client, event, django_capture_on_commit_callbacks)
    link = LINK.search(next(m for m in mail.outbox if m.to == ["b@example.jp"]).body).group(0)
    client.logout()
    Event.objects.filter(pk=event.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.post(link, {"action": "register"}, follow=True)
    assert "申込締切を過ぎている" in response.content.decode()
    invitation = Invitation.objects.get(event=event, contact__email="b@example.jp")
    assert invitation.status == InvitationStatus.INVITED
    assert AccessLog.objects.filter(kind="denied", detail__contains="register refused").exists()
