"""Matching events end to end: create → programme → invite → register → check in → close."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from matching.events import selectors as event_selectors
from matching.events import services as event_services
from matching.events.models import Event, EventTheme, Invitation, InvitationStatus, PairOutcome
from matching.models import Candidate
from matching.proposals.services import proposal_respond
from portal.fiscal import fiscal_year_of
from portal.models import Notification
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import ResourceFactory, partner_user
from tests.portal.factories import UserFactory, ward


def _dt(days: float, hour: int = 14) -> datetime.datetime:
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + datetime.timedelta(days=days)


def _event_data(**overrides):
    data = {
        "title": "DXで地域課題を解く連携ピッチ会",
        "theme": EventTheme.objects.get(name="DX"),
        "format": "venue",
        "venue": "区役所本庁舎 5階 大会議室",
        "meeting_url": "",
        "description": "課題担当者と企業が直接話し合います。",
        "starts_at": _dt(10),
        "ends_at": _dt(10, 16),
        "capacity": 30,
        "registration_deadline": _dt(7),
        "public": False,
    }
    data.update(overrides)
    return data


def _shortlisted(issue, organization, rank=1):
    resource = ResourceFactory(organization=organization)
    return Candidate.objects.create(
        issue=issue, resource=resource, rank=rank, score=0.8, shortlisted=True
    )


@pytest.fixture
def programme(coordinator, org_a, org_b, partner_a, partner_b):
    issue_a = IssueFactory(coordinator=coordinator)
    issue_b = IssueFactory(coordinator=coordinator)
    return [_shortlisted(issue_a, org_a), _shortlisted(issue_b, org_b, rank=2)]


def _form_post(data, wards):
    post = {
        key: (value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, datetime.datetime) else value)
        for key, value in data.items()
    }
    post["theme"] = data["theme"].pk
    post["wards"] = [w.pk for w in wards]
    if not data["public"]:
        post.pop("public")
    return post


def test_event_lifecycle_end_to_end(
    client, coordinator, partner_a, partner_b, programme, django_capture_on_commit_callbacks
):
    # Create through the screen.
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:event_create"), _form_post(_event_data(), [ward("13101")])
    )
    event = Event.objects.get()
    assert response.status_code == 302
    assert list(event.wards.values_list("code", flat=True)) == ["13101"]

    # Programme from the shortlisted pairs, then invitations to partners and issue owners.
    client.post(
        reverse("matching:event_programme", args=[event.pk]),
        {"candidates": [c.pk for c in programme]},
    )
    assert event.pairs.count() == 2
    client.post(reverse("matching:event_invite", args=[event.pk]))
    invited = set(event.invitations.values_list("user__username", flat=True))
    assert invited == {"partner_a", "partner_b", "coord_chiyoda"}
    assert Notification.objects.filter(recipient=partner_a, message__contains="招待").exists()
    # Inviting again does not duplicate.
    client.post(reverse("matching:event_invite", args=[event.pk]))
    assert event.invitations.count() == 3

    # Partner A registers from their own screen and gets a check-in code.
    client.force_login(partner_a)
    page = client.get(reverse("matching:event_my_invitations")).content.decode()
    assert event.title in page
    invitation_a = Invitation.objects.get(event=event, user=partner_a)
    client.post(reverse("matching:invitation_register", args=[invitation_a.pk]))
    invitation_a.refresh_from_db()
    assert invitation_a.status == InvitationStatus.REGISTERED
    assert len(invitation_a.checkin_code) == 8
    assert Notification.objects.filter(recipient=partner_a, message__contains="参加登録").exists()

    # Partner B declines.
    client.force_login(partner_b)
    invitation_b = Invitation.objects.get(event=event, user=partner_b)
    client.post(reverse("matching:invitation_decline", args=[invitation_b.pk]))
    invitation_b.refresh_from_db()
    assert invitation_b.status == InvitationStatus.DECLINED
    # Two programme pairs must not double the counts shown in the calendar.
    listed = event_selectors.events_list(when="upcoming").get(pk=event.pk)
    assert (listed.registered, listed.waitlisted, listed.pair_count) == (1, 0, 2)

    # On the day: check in by code on the printable list.
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(hours=1)
    )
    client.force_login(coordinator)
    page = client.get(reverse("matching:event_checkin", args=[event.pk])).content.decode()
    assert invitation_a.checkin_code in page
    client.post(
        reverse("matching:event_checkin", args=[event.pk]),
        {"code": invitation_a.checkin_code.lower()},
    )
    invitation_a.refresh_from_db()
    assert invitation_a.checked_in_at is not None

    # Close with minutes, attendance and outcomes.
    pairs = list(event.pairs.order_by("order"))
    response = client.post(
        reverse("matching:event_close", args=[event.pk]),
        {
            "minutes": "各組み合わせの発表と質疑応答を行った。",
            f"outcome_{pairs[0].pk}": PairOutcome.DECIDED,
            f"outcome_{pairs[1].pk}": PairOutcome.DROPPED,
            "attended": [str(invitation_a.pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    event.refresh_from_db()
    invitation_a.refresh_from_db()
    assert event.status == "closed"
    assert invitation_a.attended is True

    # The 連携決定 sent a proposal: it is not a project until the organisation accepts.
    pairs[0].refresh_from_db()
    assert pairs[0].proposal is not None and pairs[0].proposal.status == "sent"
    figures = event_selectors.pair_outcome_figures()
    assert (figures["pairs"], figures["decided"], figures["proposals"]) == (2, 1, 1)
    assert (figures["became_projects"], figures["share"]) == (0, 0)
    # A project made later for the dropped pair, outside the event's follow-up, does not count.
    project = ProjectFactory(start_date=timezone.localdate())
    project.issues.add(pairs[1].issue)
    project.organizations.add(pairs[1].organization)
    assert event_selectors.pair_outcome_figures()["became_projects"] == 0
    # The organisation accepts the proposal: now the pair became a project.
    member = next(
        p for p in (partner_a, partner_b) if p.membership.organization == pairs[0].organization
    )
    proposal_respond(proposal=pairs[0].proposal, user=member, accept=True)
    # The 年度 the event was held in (an hour ago: the previous 年度 just after 1 April 00:00).
    event.refresh_from_db()
    fy = event_selectors.event_figures(fiscal_year=fiscal_year_of(event.starts_at))
    assert fy["events"] == 1
    assert (fy["event_pairs_became_projects"], fy["event_pair_project_share"]) == (1, 0.5)


def test_close_needs_every_outcome_and_changes_nothing_otherwise(coordinator, programme):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    event_services.event_programme_set(
        event=event, candidate_ids=[c.pk for c in programme], user=coordinator
    )
    Event.objects.filter(pk=event.pk).update(starts_at=_dt(-1), ends_at=_dt(-1, 16))
    first = event.pairs.first()
    with pytest.raises(ValidationError, match="すべての組み合わせ"):
        event_services.event_close(
            event=event, minutes="x", attended_ids=set(), outcomes={first.pk: "decided"}
        )
    event.refresh_from_db()
    first.refresh_from_db()
    assert event.status == "open"
    assert first.outcome == ""


def test_capacity_and_waiting_list_with_promotion(coordinator):
    event = event_services.event_create(created_by=coordinator, data=_event_data(capacity=2))
    users = [UserFactory(username=f"guest{i}", role="partner") for i in range(4)]
    invitations = [
        Invitation.objects.create(event=event, user=user, role="partner") for user in users
    ]
    results = [event_services.invitation_register(invitation=inv) for inv in invitations]
    assert [r.status for r in results] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert results[2].checkin_code is None
    # The first registrant cancels: the longest-waiting guest gets the seat and is told so.
    event_services.invitation_decline(invitation=results[0])
    promoted = Invitation.objects.get(pk=results[2].pk)
    assert promoted.status == "registered"
    assert promoted.checkin_code
    assert Notification.objects.filter(
        recipient=users[2], message__contains="キャンセルが出た"
    ).exists()
    assert Invitation.objects.get(pk=results[3].pk).status == "waitlisted"
    assert event.invitations.filter(status="registered").count() == 2


def test_registration_after_deadline_is_refused(client, coordinator, partner_a):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    Event.objects.filter(pk=event.pk).update(registration_deadline=_dt(-1))
    invitation = Invitation.objects.create(event=event, user=partner_a, role="partner")
    client.force_login(partner_a)
    response = client.post(
        reverse("matching:invitation_register", args=[invitation.pk]), follow=True
    )
    assert "申込締切を過ぎている" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "invited"
    assert invitation.checkin_code is None


def test_check_in_code_used_twice_is_refused(client, coordinator, partner_a):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    invitation = event_services.invitation_register(
        invitation=Invitation.objects.create(event=event, user=partner_a, role="partner")
    )
    # Check-in is taken on the day only.
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(minutes=10), ends_at=now + datetime.timedelta(hours=2)
    )
    event.refresh_from_db()
    first = event_services.event_check_in(event=event, code=invitation.checkin_code)
    with pytest.raises(ValidationError, match="既に使用されています"):
        event_services.event_check_in(event=event, code=invitation.checkin_code)
    assert Invitation.objects.get(pk=invitation.pk).checked_in_at == first.checked_in_at
    # Through the HTMX desk: the second use answers with the message, nothing changes.
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:event_checkin", args=[event.pk]),
        {"code": invitation.checkin_code},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "既に使用されています" in body
    assert "<html" not in body
    with pytest.raises(ValidationError, match="参加登録にありません"):
        event_services.event_check_in(event=event, code="ZZZZZZZZ")


def test_event_that_ends_before_it_starts_is_refused(client, coordinator):
    data = _event_data(ends_at=_dt(9))
    with pytest.raises(ValidationError) as exc:
        event_services.event_create(created_by=coordinator, data=data)
    assert "終了日時は開始日時より後" in str(exc.value)
    client.force_login(coordinator)
    response = client.post(reverse("matching:event_create"), _form_post(data, []))
    assert response.status_code == 200
    assert "終了日時は開始日時より後" in response.content.decode()
    assert not Event.objects.exists()


def test_format_needs_venue_or_url(coordinator):
    with pytest.raises(ValidationError) as exc:
        event_services.event_create(
            created_by=coordinator, data=_event_data(format="online", venue="")
        )
    assert "meeting_url" in exc.value.message_dict
    event = event_services.event_create(
        created_by=coordinator,
        data=_event_data(format="online", venue="", meeting_url="https://meet.example.jp/x"),
    )
    assert event.format == "online"


def test_programme_accepts_only_shortlisted_candidates(coordinator, org_a):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    candidate = _shortlisted(IssueFactory(), org_a)
    Candidate.objects.filter(pk=candidate.pk).update(shortlisted=False)
    with pytest.raises(ValidationError):
        event_services.event_programme_set(
            event=event, candidate_ids=[candidate.pk], user=coordinator
        )
    assert not event.pairs.exists()


def test_programme_refuses_another_wards_shortlisted_pair(coordinator, org_a):
    """The form offers the organiser's own ward's pairs; a POST naming another ward's is refused
    (#15 kind 4: the write path checks what the form checks)."""
    from tests.portal.factories import ward

    event = event_services.event_create(created_by=coordinator, data=_event_data())
    shinjuku = _shortlisted(IssueFactory(ward=ward("13104")), org_a)
    with pytest.raises(ValidationError, match="候補リストに入っていない"):
        event_services.event_programme_set(
            event=event, candidate_ids=[shinjuku.pk], user=coordinator
        )
    assert not event.pairs.exists()


def test_an_open_event_cannot_be_moved_into_the_past(coordinator):
    """#15 kind 8: the probe moved an open event to yesterday; after it "ended", places could
    still be declined and a waitlisted person was told they had a seat."""
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    past = _event_data(starts_at=_dt(-1), ends_at=_dt(-1, 16), registration_deadline=_dt(-2))
    with pytest.raises(ValidationError, match="過去に移す"):
        event_services.event_update(event=event, data=past, version=1)
    event.refresh_from_db()
    assert event.starts_at == _event_data()["starts_at"] and event.version == 1


def test_stale_edit_is_refused(coordinator):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    event_services.event_update(event=event, data=_event_data(title="新"), version=1)
    with pytest.raises(ValidationError, match="他の職員"):
        event_services.event_update(event=event, data=_event_data(title="古"), version=1)
    assert Event.objects.get(pk=event.pk).title == "新"


def test_partner_cannot_touch_another_partners_invitation(
    client, coordinator, partner_a, partner_b
):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    invitation_a = Invitation.objects.create(event=event, user=partner_a, role="partner")
    client.force_login(partner_b)
    assert (
        client.post(reverse("matching:invitation_register", args=[invitation_a.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("matching:invitation_decline", args=[invitation_a.pk])).status_code
        == 404
    )
    assert event.title not in client.get(reverse("matching:event_my_invitations")).content.decode()
    invitation_a.refresh_from_db()
    assert invitation_a.status == "invited"
    # Partner B cannot open the staff screens or a non-public event's .ics either.
    assert client.get(reverse("matching:event_detail", args=[event.pk])).status_code == 403
    assert client.get(reverse("matching:event_ics", args=[event.pk])).status_code == 404
    client.force_login(partner_a)
    assert client.get(reverse("matching:event_ics", args=[event.pk])).status_code == 200


@pytest.mark.parametrize(
    ("fixture", "status"),
    [("coordinator", 200), ("approver", 403), ("evaluator", 403), ("partner_a", 403)],
)
def test_only_coordinators_create_events(db, client, request, fixture, status):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("matching:event_create")).status_code == status


def test_coordinator_of_another_ward_cannot_run_the_event(
    client, coordinator, coordinator_other_ward
):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    client.force_login(coordinator_other_ward)
    assert client.get(reverse("matching:event_detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("matching:event_checkin", args=[event.pk])).status_code == 403
    assert client.post(reverse("matching:event_invite", args=[event.pk])).status_code == 403


def test_public_page_lists_only_public_events_without_personal_data(client, coordinator, partner_a):
    public = event_services.event_create(
        created_by=coordinator, data=_event_data(title="住民も参加できる防災交流会", public=True)
    )
    event_services.event_create(created_by=coordinator, data=_event_data(title="内部の調整会議"))
    event_services.invitation_register(
        invitation=Invitation.objects.create(event=public, user=partner_a, role="partner")
    )
    page = client.get(reverse("matching:event_public_list")).content.decode()
    assert "住民も参加できる防災交流会" in page
    assert "内部の調整会議" not in page
    detail = client.get(reverse("matching:event_public_detail", args=[public.pk])).content.decode()
    assert "partner_a" not in detail
    assert str(partner_a) not in detail
    month = public.starts_at.astimezone(timezone.get_current_timezone())
    page = client.get(
        reverse("matching:event_public_list"),
        {"view": "month", "month": f"{month.year}-{month.month:02d}"},
    ).content.decode()
    assert "住民も参加できる防災交流会" in page


def test_calendar_list_queries_do_not_grow_with_rows(
    client, coordinator, django_assert_max_num_queries
):
    for i in range(5):
        event_services.event_create(created_by=coordinator, data=_event_data(title=f"E{i}"))
    client.force_login(coordinator)
    with django_assert_max_num_queries(16) as five:
        client.get(reverse("matching:event_list"))
    for i in range(45):
        event_services.event_create(created_by=coordinator, data=_event_data(title=f"F{i}"))
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(reverse("matching:event_list"))
    assert response.content.decode().count("matching/events/") >= 50


def test_events_per_month_counts_held_events(coordinator):
    for month_offset in (0, 0, -40):
        event_services.event_create(
            created_by=coordinator,
            data=_event_data(
                starts_at=_dt(month_offset),
                ends_at=_dt(month_offset, 16),
                registration_deadline=_dt(month_offset - 1),
            ),
        )
    rows = event_selectors.events_per_month(months=3)
    assert len(rows) == 3
    assert rows[-1]["events"] == 2
    assert sum(r["events"] for r in rows) == 2 + sum(1 for r in rows[:-1] if r["events"])


def test_deadline_reminder_is_sent_once(coordinator, partner_a):
    event = event_services.event_create(
        created_by=coordinator, data=_event_data(registration_deadline=_dt(1))
    )
    Invitation.objects.create(event=event, user=partner_a, role="partner")
    assert event_services.event_deadline_reminders_send() == 1
    assert event_services.event_deadline_reminders_send() == 0
    assert Notification.objects.filter(recipient=partner_a, message__contains="締切").count() == 1


def test_partner_sees_only_own_organisation_invitations(partner_a, org_a):
    colleague = partner_user(org_a, "partner_a2")
    assert list(event_selectors.invitations_for(user=colleague)) == []
    assert list(event_selectors.invitations_for(user=partner_a)) == []
