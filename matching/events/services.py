"""Writes for matching events, outsourced support and coordinator budgets."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventPair,
    EventStatus,
    Invitation,
    InvitationStatus,
    InviteeRole,
    PairOutcome,
)
from matching.events.notices import resident_notice_send
from matching.models import Candidate
from partners.models import Membership
from portal.bookings import receipt_number_free
from portal.identifiers import checkin_code_key
from portal.locking import row_lock_current
from portal.models import User
from portal.services import notification_send

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
    "resident_signup",
    "internal_notes",
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
    places = list(event.invitations.filter(status__in=ACTIVE_STATUSES).select_related("user"))
    for invitation in places:
        if invitation.is_resident:
            resident_notice_send(invitation=invitation, kind="moved")
    recipients = [invitation.user for invitation in places if invitation.user]
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
    new = [invitee for invitee in _invitees(event) if invitee[0].pk not in existing]
    created = [
        Invitation.objects.create(event=event, user=user, role=role, organization_id=org_id)
        for user, role, org_id in new
    ]
    if created:
        notification_send(
            recipients=[user for user, _role, _org_id in new],
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


def seats_taken(event: Event) -> int:
    """People holding a seat: invitees (one each) and residents' parties (1–5), registered."""
    return event.invitations.filter(status=InvitationStatus.REGISTERED).aggregate(
        n=Coalesce(Sum("party_size"), 0)
    )["n"]


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
    user = invitation.user
    if user is None:
        raise ValueError("a resident's place is made by matching.events.residents")
    now = timezone.now()
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは受付を終了しています。"))
    if now > event.registration_deadline:
        raise ValidationError(_("申込締切を過ぎているため、参加登録できません。"))
    if invitation.status in ACTIVE_STATUSES:
        return invitation
    invitation.responded_at = now
    if seats_taken(event) + invitation.party_size <= event.capacity:
        invitation.status = InvitationStatus.REGISTERED
        _assign_code(invitation)
        message = _("イベント「%(title)s」の参加登録が完了しました。受付コード：%(code)s")
    else:
        invitation.status = InvitationStatus.WAITLISTED
        invitation.waitlisted_at = now
        invitation.save()
        message = _("イベント「%(title)s」は満席のため、キャンセル待ちに登録しました。")
    notification_send(
        recipients=[user],
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
    """Fill the free seats from the waiting list in waiting order; each promoted one is told.

    Seats are counted in people. A party larger than the seats left keeps its place at the
    head of the list, and the next ones that fit are seated: no seat stays empty while someone
    who fits in it waits, and the larger party is first in line for the next seats.
    Called whenever seats may have freed up (a decline or cancelled registration, a raised
    capacity), inside the caller's transaction with the event row locked.
    """
    free = event.capacity - seats_taken(event)
    if free <= 0:
        return []
    promoted: list[Invitation] = []
    waiting = (
        event.invitations.select_for_update()
        .filter(status=InvitationStatus.WAITLISTED, party_size__lte=free)
        .select_related("user")
        .order_by("waitlisted_at", "pk")
    )
    for invitation in waiting:
        if invitation.party_size > free:
            continue
        free -= invitation.party_size
        invitation.status = InvitationStatus.REGISTERED
        invitation.waitlisted_at = None
        _assign_code(invitation)
        promoted.append(invitation)
        if invitation.user is None:
            resident_notice_send(invitation=invitation, kind="promoted")
        else:
            notification_send(
                recipients=[invitation.user],
                message=_(
                    "キャンセルが出たため、イベント「%(title)s」に参加登録されました。受付コード：%(code)s"
                )
                % {"title": event.title, "code": invitation.checkin_code},
                url=_my_events_url(),
            )
        if free <= 0:
            break
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
        Invitation.objects.select_for_update()
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
) -> Event:
    """Close the event: minutes, who attended, and each pair's outcome (all or nothing)."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは既に終了または中止しています。"))
    if timezone.now() < event.starts_at:
        raise ValidationError(_("開催前のイベントは終了できません。"))
    pairs = list(event.pairs.all())
    missing = [pair for pair in pairs if outcomes.get(pair.pk) not in PairOutcome.values]
    if missing:
        raise ValidationError(_("すべての組み合わせについて結果を選んでください。"))
    for pair in pairs:
        pair.outcome = outcomes[pair.pk]
        pair.save(update_fields=["outcome"])
    registered = event.invitations.filter(status=InvitationStatus.REGISTERED)
    registered.filter(pk__in=attended_ids).update(attended=True)
    registered.exclude(pk__in=attended_ids).update(attended=False)
    event.minutes = minutes
    event.status = EventStatus.CLOSED
    event.closed_at = timezone.now()
    event.version += 1
    event.save()
    return event


@transaction.atomic
def event_cancel(*, event: Event) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.OPEN:
        raise ValidationError(_("このイベントは既に終了または中止しています。"))
    event.status = EventStatus.CANCELLED
    event.version += 1
    event.save()
    places = list(
        event.invitations.exclude(status=InvitationStatus.DECLINED).select_related("user")
    )
    for invitation in places:
        if invitation.is_resident:
            resident_notice_send(invitation=invitation, kind="event_cancelled")
    recipients = [invitation.user for invitation in places if invitation.user]
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
        user__isnull=False,  # residents are never "invited": they sign up themselves
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
                recipients=[cast(User, invitation.user)],
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
