"""Writes for matching events, outsourced support and coordinator budgets."""

from __future__ import annotations

import datetime
import secrets
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.events.models import (
    Event,
    EventPair,
    EventStatus,
    Invitation,
    InvitationStatus,
    InviteeRole,
    PairFollowUp,
    PairOutcome,
)
from matching.models import Candidate, Decision
from matching.projects.services import project_create
from matching.proposals.services import proposal_create
from partners.models import Membership
from portal.identifiers import checkin_code_key
from portal.locking import row_lock_current
from portal.models import Role, User
from portal.services import notification_send

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the desk
CODE_LENGTH = 8
EVENT_FIELDS = (
    "title",
    "theme",
    "format",
    "venue",
    "meeting_url",
    "description",
    "starts_at",
    "ends_at",
    "capacity",
    "registration_deadline",
    "public",
)
# The fields invitees plan around: a change to any of them is sent to everyone with a seat.
WHEN_AND_WHERE = ("starts_at", "ends_at", "format", "venue", "meeting_url")


def _event_url(event: Event) -> str:
    return reverse("matching:event_detail", args=[event.pk])


def _my_events_url() -> str:
    return reverse("matching:event_my_invitations")


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
    registered = current.invitations.filter(status=InvitationStatus.REGISTERED).count()
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
    recipients = [
        invitation.user
        for invitation in event.invitations.filter(
            status__in=[InvitationStatus.REGISTERED, InvitationStatus.WAITLISTED]
        ).select_related("user")
    ]
    if not recipients:
        return
    starts, ends = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    place = event.venue if event.format != "online" else _("オンライン")
    notification_send(
        recipients=recipients,
        message=_("イベント「%(title)s」の日時・会場が変わりました：%(when)s〜%(end)s %(place)s")
        % {
            "title": event.title,
            "when": starts.strftime("%Y-%m-%d %H:%M"),
            "end": ends.strftime("%H:%M"),
            "place": place,
        },
        url=_my_events_url(),
    )


@transaction.atomic
def event_programme_set(*, event: Event, candidate_ids: list[int]) -> list[EventPair]:
    """The programme: one pair per chosen shortlisted candidate (issue ↔ organisation)."""
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("終了または中止したイベントのプログラムは変更できません。"))
    candidates = list(
        Candidate.objects.filter(pk__in=candidate_ids, shortlisted=True).select_related("resource")
    )
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


def _invitees(event: Event) -> list[tuple[User, str, int | None]]:
    """Partner users of every programme organisation and the owner of every programme issue."""
    pairs = list(event.pairs.select_related("issue"))
    org_ids = {pair.organization_id for pair in pairs}
    found: dict[int, tuple[User, str, int | None]] = {}
    for membership in Membership.objects.filter(
        organization_id__in=org_ids, user__is_active=True
    ).select_related("user"):
        found[membership.user_id] = (
            membership.user,
            InviteeRole.PARTNER,
            membership.organization_id,
        )
    owner_ids = cast(
        "set[int]",
        {pair.issue.coordinator_id or pair.issue.created_by_id for pair in pairs} - {None},
    )
    for user in User.objects.filter(pk__in=owner_ids, is_active=True):
        found.setdefault(user.pk, (user, InviteeRole.OWNER, None))
    return list(found.values())


@transaction.atomic
def event_invite(*, event: Event) -> list[Invitation]:
    """Invite the programme's organisations and issue owners; returns the new invitations."""
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("終了または中止したイベントには招待できません。"))
    if not event.pairs.exists():
        raise ValidationError(_("先にプログラム（課題と団体の組み合わせ）を選んでください。"))
    existing = set(event.invitations.values_list("user_id", flat=True))
    created = [
        Invitation.objects.create(event=event, user=user, role=role, organization_id=org_id)
        for user, role, org_id in _invitees(event)
        if user.pk not in existing
    ]
    if created:
        notification_send(
            recipients=[inv.user for inv in created],
            message=_("イベント「%(title)s」への招待が届きました（申込締切 %(deadline)s）")
            % {
                "title": event.title,
                "deadline": timezone.localtime(event.registration_deadline).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            },
            url=_my_events_url(),
        )
    return created


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _assign_code(invitation: Invitation) -> None:
    for _attempt in range(5):
        invitation.checkin_code = _new_code()
        try:
            with transaction.atomic():
                invitation.save()
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique check-in code")


@transaction.atomic
def invitation_register(*, invitation: Invitation) -> Invitation:
    """Register an invitee; when the event is full they join the waiting list instead."""
    event = Event.objects.select_for_update().get(pk=invitation.event_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    now = timezone.now()
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    if now > event.registration_deadline:
        raise ValidationError(_("申込締切を過ぎているため、参加登録できません。"))
    if invitation.status in {InvitationStatus.REGISTERED, InvitationStatus.WAITLISTED}:
        return invitation
    registered = event.invitations.filter(status=InvitationStatus.REGISTERED).count()
    invitation.responded_at = now
    if registered < event.capacity:
        invitation.status = InvitationStatus.REGISTERED
        _assign_code(invitation)
        message = _("イベント「%(title)s」の参加登録が完了しました。受付コード：%(code)s")
    else:
        invitation.status = InvitationStatus.WAITLISTED
        invitation.waitlisted_at = now
        invitation.save()
        message = _("イベント「%(title)s」は満席のため、キャンセル待ちに登録しました。")
    notification_send(
        recipients=[invitation.user],
        message=message % {"title": event.title, "code": invitation.checkin_code or ""},
        url=_my_events_url(),
    )
    return invitation


@transaction.atomic
def invitation_decline(*, invitation: Invitation) -> Invitation:
    """Decline (or cancel a registration); a freed seat goes to the first on the waiting list."""
    event = Event.objects.select_for_update().get(pk=invitation.event_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    if invitation.checked_in_at is not None:
        raise ValidationError(_("受付済みのため取り消せません。"))
    freed = invitation.status == InvitationStatus.REGISTERED
    invitation.status = InvitationStatus.DECLINED
    invitation.checkin_code = None
    invitation.waitlisted_at = None
    invitation.responded_at = timezone.now()
    invitation.save()
    if freed:
        waiting_list_promote(event=event)
    return invitation


def waiting_list_promote(*, event: Event) -> list[Invitation]:
    """Fill every free seat from the waiting list, longest-waiting first; each is told.

    Called whenever seats may have freed up (a decline or cancelled registration, a raised
    capacity), inside the caller's transaction with the event row locked.
    """
    registered = event.invitations.filter(status=InvitationStatus.REGISTERED).count()
    free = event.capacity - registered
    if free <= 0:
        return []
    waiting = list(
        event.invitations.select_for_update()
        .filter(status=InvitationStatus.WAITLISTED)
        .select_related("user")
        .order_by("waitlisted_at", "pk")[:free]
    )
    for invitation in waiting:
        invitation.status = InvitationStatus.REGISTERED
        invitation.waitlisted_at = None
        _assign_code(invitation)
        notification_send(
            recipients=[invitation.user],
            message=_(
                "キャンセルが出たため、イベント「%(title)s」に参加登録されました。受付コード：%(code)s"
            )
            % {"title": event.title, "code": invitation.checkin_code},
            url=_my_events_url(),
        )
    return waiting


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
        Invitation.objects.select_for_update()
        .filter(event=event, checkin_code=code, status=InvitationStatus.REGISTERED)
        .select_related("user")
        .first()
    )
    if invitation is None:
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
    recipients = [
        inv.user
        for inv in event.invitations.exclude(status=InvitationStatus.DECLINED).select_related(
            "user"
        )
    ]
    if recipients:
        notification_send(
            recipients=recipients,
            message=_("イベント「%(title)s」は中止になりました。") % {"title": event.title},
            url=_my_events_url(),
        )
    return event


def event_deadline_reminders_send(*, within: datetime.timedelta | None = None) -> int:
    """Remind invitees who have not answered when the deadline is near; returns how many."""
    within = within or datetime.timedelta(days=2)
    now = timezone.now()
    pending = Invitation.objects.filter(
        status=InvitationStatus.INVITED,
        reminded_at__isnull=True,
        event__status=EventStatus.OPEN,
        event__registration_deadline__gt=now,
        event__registration_deadline__lte=now + within,
    ).select_related("event", "user")
    sent = 0
    for invitation in pending:
        with transaction.atomic():
            notification_send(
                recipients=[invitation.user],
                message=_("イベント「%(title)s」の申込締切が近づいています（%(deadline)s）")
                % {
                    "title": invitation.event.title,
                    "deadline": timezone.localtime(invitation.event.registration_deadline).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                },
                url=_my_events_url(),
            )
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
        sent += 1
    return sent
