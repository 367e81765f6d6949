"""Writes for matching events, outsourced support and coordinator budgets."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from matching.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventFormat,
    EventPair,
    EventStatus,
    Invitation,
    InvitationStatus,
    InviteeRole,
    PairFollowUp,
    PairOutcome,
)
from matching.events.notices import resident_notice_send
from matching.models import Decision
from matching.projects.services import project_create
from matching.proposals.services import proposal_create
from partners.models import Outreach
from partners.reach.services import (
    Notice,
    contact_mail,
    organization_members,
    organization_reach,
)
from portal.bookings import receipt_number_free
from portal.fiscal import tokyo_span
from portal.identifiers import checkin_code_key
from portal.localtext import LocalText
from portal.locking import row_lock_current
from portal.mail import later, later_call
from portal.models import NoticeKind, Role, User
from portal.services import notification_send

EVENT_FIELDS = (
    "title",
    "theme",
    "format",
    "venue",
    "meeting_url",
    "description",
    "title_en",
    "description_en",
    "starts_at",
    "ends_at",
    "capacity",
    "registration_deadline",
    "public",
    "resident_signup",
    "internal_notes",
)
# The fields invitees plan around: a change to any of them is sent to everyone with a seat.
WHEN_AND_WHERE = ("starts_at", "ends_at", "format", "venue", "meeting_url")


def _event_url(event: Event) -> str:
    return reverse("matching:event_detail", args=[event.pk])


def _my_events_url() -> str:
    return reverse("matching:event_my_invitations")


def event_lines(event: Event, *, registered: bool = False) -> list[str | Promise]:
    """What every mail about an event says: date and time with the weekday (Tokyo), the
    venue, and — only to people holding or waiting for a seat — the online meeting URL."""
    lines: list[str | Promise] = [
        _when_line(event),
        later(gettext_lazy("形式: %(format)s"), format=EventFormat(event.format).label),
    ]
    if event.venue:
        lines.append(later(gettext_lazy("会場: %(venue)s"), venue=event.venue))
    if event.meeting_url:
        lines.append(
            later(gettext_lazy("オンライン会議のURL: %(url)s"), url=event.meeting_url)
            if registered
            else gettext_lazy("オンライン会議のURLは参加登録した方にお知らせします。")
        )
    return lines


def _when_line(event: Event) -> Promise:
    """日時: the event's Tokyo span, in the reader's language (read when the notice is written)."""
    return later(
        gettext_lazy("日時: %(when)s"),
        when=later_call(tokyo_span, event.starts_at, event.ends_at),
    )


def _tell(
    invitations: list[Invitation],
    *,
    message: str | Promise | LocalText,
    subject: str | Promise,
    lines: list[str | Promise],
    kind: str = NoticeKind.EVENT,
) -> None:
    """Tell invitees: users in-app (and by mail as each chose), contacts by mail."""
    users = [invitation.user for invitation in invitations if invitation.user is not None]
    if users:
        notification_send(
            recipients=users,
            message=message,
            url=_my_events_url(),
            kind=kind,
            subject=subject,
            lines=lines,
        )
    for invitation in invitations:
        contact = invitation.contact
        if invitation.user is None and contact is not None and contact.email:
            contact_mail(
                contact=contact,
                template="portal/mail/notice",
                subject=subject,
                kind=kind,
                context={"message": message, "lines": lines},
            )


def event_validate(data: dict[str, Any]) -> None:
    """The rules a form must also show: times in order, a place to meet, a positive capacity."""
    errors: dict[str, str] = {}
    starts, ends, deadline = (
        data.get("starts_at"),
        data.get("ends_at"),
        data.get("registration_deadline"),
    )
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("終了日時は開始日時より後にしてください。")
    if starts and deadline and deadline > starts:
        errors["registration_deadline"] = _("申込締切は開始日時より前にしてください。")
    fmt = data.get("format")
    if fmt in {"venue", "hybrid"} and not (data.get("venue") or "").strip():
        errors["venue"] = _("会場またはハイブリッド開催では会場を入力してください。")
    if fmt in {"online", "hybrid"} and not (data.get("meeting_url") or "").strip():
        errors["meeting_url"] = _(
            "オンラインまたはハイブリッド開催では会議のURLを入力してください。"
        )
    if data.get("capacity") is not None and data["capacity"] < 1:
        errors["capacity"] = _("定員は1人以上にしてください。")
    if data.get("resident_signup") and not data.get("public"):
        errors["resident_signup"] = _(
            "住民の参加申込を受け付けるには、イベントを住民に公開してください。"
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_create(*, created_by: User, data: dict[str, Any], wards: list | None = None) -> Event:
    event_validate(data)
    event = Event(created_by=created_by, **{k: data[k] for k in EVENT_FIELDS if k in data})
    event.full_clean()
    event.save()
    event.wards.set(wards or ([created_by.ward] if created_by.ward else []))
    return event


@transaction.atomic
def event_update(
    *, event: Event, data: dict[str, Any], version: int, wards: list | None = None
) -> Event:
    current = row_lock_current(
        event,
        version=version,
        message=_(
            "他の職員がこのイベントを更新しました。最新の内容を確認してから保存し直してください。"
        ),
    )
    if current.status != EventStatus.OPEN:
        raise ValidationError(_("終了または中止したイベントは編集できません。"))
    event_validate(data)
    moved_to = data.get("starts_at")
    if moved_to and moved_to != current.starts_at and moved_to < timezone.now():
        # Moving an open event into the past would leave places to decline and a waiting list
        # to promote for something already over.
        raise ValidationError(
            {
                "starts_at": _(
                    "開催日時を過去に移すことはできません。終わった回は「終了」で記録してください。"
                )
            }
        )
    registered = seats_taken(current)
    if data.get("capacity") is not None and data["capacity"] < registered:
        raise ValidationError(
            {
                "capacity": _("定員を参加登録済みの人数（%(n)s人）より少なくはできません。")
                % {"n": registered}
            }
        )
    before = {name: getattr(current, name) for name in WHEN_AND_WHERE}
    for name in EVENT_FIELDS:
        if name in data:
            setattr(current, name, data[name])
    current.version += 1
    current.full_clean()
    current.save()
    if wards is not None:
        current.wards.set(wards)
    if any(getattr(current, name) != value for name, value in before.items()):
        _tell_about_the_move(current)
    # A raised capacity frees seats: the waiting list moves up at once, not at the next decline.
    waiting_list_promote(event=current)
    return current


def _tell_about_the_move(event: Event) -> None:
    """Everyone holding or waiting for a seat learns the new date, time or place."""
    places = list(
        event.invitations.filter(status__in=ACTIVE_STATUSES).select_related("user", "contact")
    )
    for invitation in places:
        if invitation.is_resident:
            resident_notice_send(invitation=invitation, kind="moved")
    holders = [invitation for invitation in places if not invitation.is_resident]
    if holders:
        ends = timezone.localtime(event.ends_at)
        _tell(
            holders,
            message=LocalText(
                gettext_noop(
                    "イベント「%(title)s」の日時・会場が変わりました：%(when)s〜%(end)s %(place)s"
                ),
                {
                    "title": event.title,
                    "when": event.starts_at,
                    "end": f"{ends:%H:%M}",
                    "place": event.venue
                    if event.format != "online"
                    else LocalText(gettext_noop("オンライン")),
                },
            ),
            subject=gettext_lazy("イベントの日時・会場の変更"),
            lines=event_lines(event, registered=True),
        )


@transaction.atomic
def event_programme_set(*, event: Event, candidate_ids: list[int], user: User) -> list[EventPair]:
    """The programme: one pair per chosen shortlisted candidate (issue ↔ organisation), among
    the pairs the programme screen offers `user` (their ward's, unless they see all wards)."""
    from matching.events.selectors import shortlisted_candidates

    if event.status != EventStatus.OPEN:
        raise ValidationError(_("終了または中止したイベントのプログラムは変更できません。"))
    candidates = list(shortlisted_candidates(user=user).filter(pk__in=candidate_ids))
    if len(candidates) != len(set(candidate_ids)):
        raise ValidationError(_("候補リストに入っていない組み合わせは選べません。"))
    keep: set[tuple[int, int]] = set()
    for order, candidate in enumerate(candidates):
        key = (candidate.issue_id, candidate.resource.organization_id)
        keep.add(key)
        EventPair.objects.update_or_create(
            event=event,
            issue_id=key[0],
            organization_id=key[1],
            defaults={"resource": candidate.resource, "candidate": candidate, "order": order},
        )
    for pair in event.pairs.all():
        if (pair.issue_id, pair.organization_id) not in keep:
            pair.delete()
    return list(event.pairs.all())


@dataclass(frozen=True)
class InviteOutcome:
    """What 招待を送る did: organisations reached (members or contacts), those with nobody
    to reach (a task for staff), and the invitations created (issue owners included)."""

    reached: list[str]
    unreachable: list[str]
    created: list[Invitation]


def _invitation_notice(event: Event) -> Notice:
    return Notice(
        kind=NoticeKind.EVENT,
        message=LocalText(
            gettext_noop("イベント「%(title)s」への招待が届きました（申込締切 %(deadline)s）"),
            {"title": event.title, "deadline": event.registration_deadline},
        ),
        subject=later(gettext_lazy("イベントへの招待: %(title)s"), title=event.title),
        member_path=_my_events_url(),
        topic=Outreach.Topic.EVENT,
        topic_id=event.pk,
        contact_path=lambda token: reverse("matching:invitation_link", args=[event.pk, token]),
        contact_template="matching/mail/invitation_contact",
        lines=event_lines(event),
        context={"event": event},
    )


def _organization_invite(event: Event, organization, sent_by: User | None) -> tuple[bool, list]:
    """Invite one programme organisation: its members, else its contacts by mail."""
    members = organization_members([organization.pk])
    created = []
    if members:
        for user in members:
            invitation, made = Invitation.objects.get_or_create(
                event=event,
                user=user,
                defaults={"role": InviteeRole.PARTNER, "organization": organization},
            )
            created += [invitation] if made else []
    else:
        for contact in organization.contacts.all():
            invitation, made = Invitation.objects.get_or_create(
                event=event,
                contact=contact,
                user=None,
                defaults={"role": InviteeRole.PARTNER, "organization": organization},
            )
            created += [invitation] if made else []
    delivery = organization_reach(
        organization=organization,
        notice=_invitation_notice(event),
        outreach=(Outreach.Topic.EVENT, event.pk),
        sent_by=sent_by,
    )
    return bool(delivery.reached), created


@transaction.atomic
def event_invite(*, event: Event, sent_by: User | None = None) -> InviteOutcome:
    """Invite the programme's organisations (members in-app and by mail, else contacts by a
    mailed link) and the issues' owners. Organisations reached before are not sent again;
    those that reached no one are tried again on every call."""
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("終了または中止したイベントには招待できません。"))
    pairs = list(event.pairs.select_related("issue", "organization"))
    if not pairs:
        raise ValidationError(_("先にプログラム（課題と団体の組み合わせ）を選んでください。"))
    done = set(
        Outreach.objects.filter(topic=Outreach.Topic.EVENT, topic_id=event.pk)
        .exclude(members=0, contacts=0)
        .values_list("organization_id", flat=True)
    )
    organizations = {pair.organization_id: pair.organization for pair in pairs}
    outcome = InviteOutcome(reached=[], unreachable=[], created=[])
    for org_id, organization in sorted(organizations.items(), key=lambda item: item[1].name):
        if org_id in done:
            continue
        reached, created = _organization_invite(event, organization, sent_by)
        (outcome.reached if reached else outcome.unreachable).append(organization.name)
        outcome.created.extend(created)
    owner_ids = cast(
        "set[int]",
        {pair.issue.coordinator_id or pair.issue.created_by_id for pair in pairs} - {None},
    )
    invited = set(event.invitations.values_list("user_id", flat=True))
    owners = [
        Invitation.objects.create(event=event, user=user, role=InviteeRole.OWNER)
        for user in User.objects.filter(pk__in=owner_ids - invited, is_active=True)
    ]
    if owners:
        notice = _invitation_notice(event)
        _tell(owners, message=notice.message, subject=notice.subject, lines=notice.lines)
    outcome.created.extend(owners)
    return outcome


def invitations_claim(user: User, link) -> int:
    """A contact who became a member through a link takes over their invitations by mail."""
    if link.contact_id is None:
        return 0
    return Invitation.objects.filter(contact_id=link.contact_id, user__isnull=True).update(
        user=user
    )


def seats_taken(event: Event) -> int:
    """People holding a seat: invitees (one each) and residents' parties (1–5), registered."""
    return event.invitations.filter(status=InvitationStatus.REGISTERED).aggregate(
        n=Coalesce(Sum("party_size"), 0)
    )["n"]


def seats_open(event: Event) -> int:
    """Seats (people) a new registration may take now: none while anyone waits, since the
    seats that free up belong to the waiting list in order of application (see
    waiting_list_promote); else the capacity less the seats taken. Two queries."""
    if event.invitations.filter(status=InvitationStatus.WAITLISTED).exists():
        return 0
    return max(event.capacity - seats_taken(event), 0)


def _assign_code(invitation: Invitation) -> None:
    """A seat's 受付コード (a resident keeps the 受付番号 given at sign-up)."""
    if not invitation.checkin_code:
        invitation.checkin_code = receipt_number_free(Invitation, "checkin_code")
    invitation.save()


@transaction.atomic
def invitation_register(*, invitation: Invitation) -> Invitation:
    """Register an invitee; when the event is full they join the waiting list instead."""
    event = Event.objects.select_for_update().get(pk=invitation.event_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.is_resident:
        raise ValueError("a resident's place is made by matching.events.residents")
    now = timezone.now()
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    if now > event.registration_deadline:
        raise ValidationError(_("申込締切を過ぎているため、参加登録できません。"))
    if invitation.status in ACTIVE_STATUSES:
        return invitation
    invitation.responded_at = now
    if invitation.party_size <= seats_open(event):
        invitation.status = InvitationStatus.REGISTERED
        _assign_code(invitation)
        message = LocalText(
            gettext_noop("イベント「%(title)s」の参加登録が完了しました。受付コード：%(code)s")
        )
    else:
        invitation.status = InvitationStatus.WAITLISTED
        invitation.waitlisted_at = now
        invitation.save()
        message = LocalText(
            gettext_noop("イベント「%(title)s」は満席のため、キャンセル待ちに登録しました。")
        )
    _tell(
        [invitation],
        message=message % {"title": event.title, "code": invitation.checkin_code or ""},
        subject=later(gettext_lazy("イベントの参加登録: %(title)s"), title=event.title),
        lines=_seat_lines(event, invitation),
    )
    return invitation


def _seat_lines(event: Event, invitation: Invitation) -> list[str | Promise]:
    lines = event_lines(event, registered=True)
    if invitation.checkin_code:
        lines.append(later(gettext_lazy("受付コード: %(code)s"), code=invitation.checkin_code))
    return lines


@transaction.atomic
def invitation_decline(*, invitation: Invitation) -> Invitation:
    """Decline (or cancel a registration); a freed seat goes to the first on the waiting list."""
    event = Event.objects.select_for_update().get(pk=invitation.event_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    place_give_up(event=event, invitation=invitation)
    return invitation


def place_give_up(*, event: Event, invitation: Invitation) -> None:
    """An invitee or a resident gives up a seat or a waiting place; a freed seat goes to the
    waiting list. The caller holds the event's and the invitation's row locks."""
    if invitation.checked_in_at is not None:
        raise ValidationError(_("受付済みのため取り消せません。"))
    freed = invitation.status == InvitationStatus.REGISTERED
    invitation.status = InvitationStatus.DECLINED
    if not invitation.is_resident:
        # An invitee's code is for the desk only; a resident's is the 受付番号 of their mails.
        invitation.checkin_code = None
    invitation.waitlisted_at = None
    invitation.responded_at = timezone.now()
    invitation.save()
    if freed:
        waiting_list_promote(event=event)


def waiting_list_promote(*, event: Event) -> list[Invitation]:
    """Fill the free seats from the waiting list strictly in order of application (お申し込み順,
    as the waiting-list mail and seat page promise); each promoted one is told.

    Seats are counted in people. When the first waiting party is larger than the seats left,
    it keeps its place and nobody behind it is seated: the free seats stay empty until enough
    free up for it (a later, smaller party never overtakes an earlier one, and no one is
    offered part of a party's places). Called whenever seats may have freed up (a decline or
    cancelled registration, a raised capacity), inside the caller's transaction with the event
    row locked.
    """
    free = event.capacity - seats_taken(event)
    if free <= 0:
        return []
    promoted: list[Invitation] = []
    waiting = (
        event.invitations.select_for_update(of=("self",))
        .filter(status=InvitationStatus.WAITLISTED)
        .select_related("user", "contact")
        .order_by("waitlisted_at", "pk")
    )
    for invitation in waiting:
        if invitation.party_size > free:
            break
        free -= invitation.party_size
        invitation.status = InvitationStatus.REGISTERED
        invitation.waitlisted_at = None
        _assign_code(invitation)
        promoted.append(invitation)
        if invitation.is_resident:
            resident_notice_send(invitation=invitation, kind="promoted")
        else:
            _tell(
                [invitation],
                message=LocalText(
                    gettext_noop(
                        "キャンセルが出たため、イベント「%(title)s」に参加登録されました。受付コード：%(code)s"
                    ),
                    {"title": event.title, "code": invitation.checkin_code},
                ),
                subject=later(gettext_lazy("イベントの参加登録: %(title)s"), title=event.title),
                lines=_seat_lines(event, invitation),
            )
    return promoted


def checkin_window(event: Event) -> tuple[datetime.datetime, datetime.datetime]:
    """When the desk takes codes: on the event's own day (Tokyo), from
    EVENT_CHECKIN_OPENS_BEFORE before the start until the end."""
    opens_before = datetime.timedelta(minutes=settings.EVENT_CHECKIN_OPENS_BEFORE_MINUTES)
    starts = timezone.localtime(event.starts_at)
    day_begins = starts.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(starts - opens_before, day_begins), event.ends_at


def _check_in_allowed(event: Event) -> None:
    opens, closes = checkin_window(event)
    now = timezone.now()
    if now < opens:
        raise ValidationError(
            _("受付は開催日当日の %(time)s から始まります（%(date)s）。")
            % {
                "time": timezone.localtime(opens).strftime("%H:%M"),
                "date": timezone.localtime(opens).strftime("%Y-%m-%d"),
            }
        )
    if now > closes:
        raise ValidationError(
            _("このイベントの受付時間は終了しました（%(time)s まで）。")
            % {"time": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")}
        )


@transaction.atomic
def event_check_in(*, event: Event, code: str) -> Invitation:
    _check_in_allowed(event)
    # Read out or typed at the desk in any width, with spaces or dashes (portal.identifiers).
    code = checkin_code_key(code)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(event=event, checkin_code=code, status=InvitationStatus.REGISTERED)
        .select_related("user")
        .first()
    )
    if invitation is None:
        # A resident's 受付番号 and an invitee's 受付コード are looked up alike.
        raise ValidationError(_("この受付コードはこのイベントの参加登録にありません。"))
    if invitation.checked_in_at is not None:
        raise ValidationError(
            _("この受付コードは既に使用されています（%(time)s に受付済み）。")
            % {"time": timezone.localtime(invitation.checked_in_at).strftime("%H:%M")}
        )
    invitation.checked_in_at = timezone.now()
    invitation.save(update_fields=["checked_in_at"])
    return invitation


@transaction.atomic
def event_close(
    *,
    event: Event,
    minutes: str,
    attended_ids: set[int],
    outcomes: dict[int, str],
    follow_ups: dict[int, str] | None = None,
    closed_by: User | None = None,
) -> Event:
    """Close the event: minutes, who attended, and each pair's outcome (all or nothing).

    A 連携決定 is followed up through the pipeline's own services (``follow_ups`` maps a pair to
    a PairFollowUp, proposal by default): a proposal to the organisation (proposal_create; it
    becomes a project when they accept) or, where the ward's staff confirm the agreement, a
    project at once (project_create). The pair keeps what it led to.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは既に終了または中止しています。"))
    if timezone.now() < event.starts_at:
        raise ValidationError(_("開催前のイベントは終了できません。"))
    pairs = list(event.pairs.select_related("issue", "organization", "resource", "candidate"))
    missing = [pair for pair in pairs if outcomes.get(pair.pk) not in PairOutcome.values]
    if missing:
        raise ValidationError(_("すべての組み合わせについて結果を選んでください。"))
    follow_ups = follow_ups or {}
    for pair in pairs:
        pair.outcome = outcomes[pair.pk]
        if pair.outcome == PairOutcome.DECIDED and not (pair.proposal_id or pair.project_id):
            _decided_follow_up(
                pair, follow_ups.get(pair.pk) or PairFollowUp.PROPOSAL, event, closed_by
            )
        pair.save(update_fields=["outcome", "proposal", "project"])
    registered = event.invitations.filter(status=InvitationStatus.REGISTERED)
    registered.filter(pk__in=attended_ids).update(attended=True)
    registered.exclude(pk__in=attended_ids).update(attended=False)
    event.minutes = minutes
    event.status = EventStatus.CLOSED
    event.closed_at = timezone.now()
    event.version += 1
    event.save()
    return event


def _decided_follow_up(pair: EventPair, follow_up: str, event: Event, user: User | None) -> None:
    """Send the proposal a 連携決定 calls for, or enter its project (staff confirmed it)."""
    issue, organization = pair.issue, pair.organization
    note = _("マッチングイベント「%(title)s」で連携決定") % {"title": event.title}
    if follow_up == PairFollowUp.PROJECT:
        pair.project = project_create(
            title=f"{issue.title}（{organization.name}）",
            summary=note,
            issues=[issue],
            organizations=[organization],
            start_date=timezone.localdate(),
            resource=pair.resource,
            ward=issue.ward,
            field=issue.field,
            coordinator=issue.coordinator
            or (user if user and user.role == Role.COORDINATOR else None),
            created_by=user,
        )
        return
    if follow_up != PairFollowUp.PROPOSAL:
        raise ValidationError(_("連携決定の後の手続きを選んでください。"))
    if pair.resource is None:
        raise ValidationError(
            _(
                "「%(issue)s × %(org)s」はリソースが決まっていないため提案を送れません。"
                "連携事業として登録してください。"
            )
            % {"issue": issue.title, "org": organization.name}
        )
    candidate = pair.candidate
    decision = Decision.objects.create(
        issue=issue,
        resource=pair.resource,
        candidate=candidate,
        verdict=Decision.Verdict.APPROVED,
        comment=note,
        shown_score=candidate.score if candidate else None,
        features=((candidate.components or {}).get("features", {}) if candidate else {}),
        decided_by=user,
    )
    pair.proposal = proposal_create(decision=decision, created_by=user, message=note)


@transaction.atomic
def event_cancel(*, event: Event) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは既に終了または中止しています。"))
    event.status = EventStatus.CANCELLED
    event.version += 1
    event.save()
    places = list(
        event.invitations.exclude(status=InvitationStatus.DECLINED).select_related(
            "user", "contact"
        )
    )
    for invitation in places:
        if invitation.is_resident:
            resident_notice_send(invitation=invitation, kind="event_cancelled")
    invitees = [invitation for invitation in places if not invitation.is_resident]
    if invitees:
        _tell(
            invitees,
            message=LocalText(
                gettext_noop("イベント「%(title)s」は中止になりました。"), {"title": event.title}
            ),
            subject=later(gettext_lazy("イベントの中止: %(title)s"), title=event.title),
            lines=[_when_line(event)],
        )
    return event


def event_deadline_reminders_send(*, within: datetime.timedelta | None = None) -> int:
    """Remind invitees who have not answered when the deadline is near; returns how many."""
    within = within or datetime.timedelta(days=2)
    now = timezone.now()
    pending = Invitation.objects.filter(
        # Residents are never "invited": they sign up themselves.
        Q(user__isnull=False) | Q(contact__isnull=False),
        status=InvitationStatus.INVITED,
        reminded_at__isnull=True,
        event__status=EventStatus.OPEN,
        event__registration_deadline__gt=now,
        event__registration_deadline__lte=now + within,
    ).select_related("event", "user", "contact")
    sent = 0
    for invitation in pending:
        with transaction.atomic():
            _tell(
                [invitation],
                message=LocalText(
                    gettext_noop("イベント「%(title)s」の申込締切が近づいています（%(deadline)s）"),
                    {
                        "title": invitation.event.title,
                        "deadline": invitation.event.registration_deadline,
                    },
                ),
                subject=gettext_lazy("イベントの申込締切が近づいています"),
                lines=event_lines(invitation.event),
                kind=NoticeKind.REMINDER,
            )
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
        sent += 1
    return sent
