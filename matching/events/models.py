"""Matching events (交流イベント・ピッチ会): themes, events, programme pairs and invitations.

Imported at the end of matching/models.py so Django sees these models as part of the app.
Other models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.localcontent import EnglishContent
from portal.locking import Versioned
from portal.retention import ERASED


class EventTheme(models.Model):
    """The editable list of event themes (SDGs, DX, 地域活性化, 防災, 子育て…)."""

    name = models.CharField(_("テーマ"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("イベントのテーマ")
        verbose_name_plural = _("イベントのテーマ")

    def __str__(self) -> str:
        return self.name


class EventFormat(models.TextChoices):
    VENUE = "venue", _("会場")
    ONLINE = "online", _("オンライン")
    HYBRID = "hybrid", _("ハイブリッド")


class EventStatus(models.TextChoices):
    OPEN = "open", _("開催予定")
    CLOSED = "closed", _("終了")
    CANCELLED = "cancelled", _("中止")


class Event(EnglishContent, Versioned):
    ENGLISH = {"title": "title_en", "description": "description_en"}

    title = models.CharField(_("イベント名"), max_length=200)
    title_en = models.CharField(_("イベント名（英語）"), max_length=200, blank=True)
    theme = models.ForeignKey(
        EventTheme, verbose_name=_("テーマ"), on_delete=models.PROTECT, related_name="events"
    )
    format = models.CharField(
        _("開催形式"), max_length=10, choices=EventFormat.choices, default=EventFormat.VENUE
    )
    venue = models.CharField(_("会場"), max_length=300, blank=True)
    meeting_url = models.URLField(_("オンライン会議のURL"), blank=True)
    description = models.TextField(_("内容"), blank=True, max_length=5000)
    description_en = models.TextField(_("内容（英語）"), blank=True, max_length=5000)
    starts_at = models.DateTimeField(_("開始日時"), db_index=True)
    ends_at = models.DateTimeField(_("終了日時"))
    capacity = models.PositiveIntegerField(_("定員"))
    registration_deadline = models.DateTimeField(_("申込締切"))
    wards = models.ManyToManyField(
        "portal.Ward", verbose_name=_("主催区"), blank=True, related_name="+"
    )
    public = models.BooleanField(
        _("住民に公開"), default=False, help_text=_("公開ページとカレンダーに掲載します。")
    )
    resident_signup = models.BooleanField(
        _("住民の参加申込を受け付ける"),
        default=False,
        help_text=_(
            "公開ページから住民が申し込めます。席は招待者と同じ定員・キャンセル待ちで数えます。"
        ),
    )
    internal_notes = models.TextField(
        _("内部メモ"),
        blank=True,
        max_length=2000,
        help_text=_("職員だけが見るメモです。公開ページやカレンダーには載りません。"),
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=EventStatus.choices, default=EventStatus.OPEN
    )
    minutes = models.TextField(_("議事録"), blank=True, max_length=20000)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="event_ends_after_start",
            )
        ]
        verbose_name = _("マッチングイベント")
        verbose_name_plural = _("マッチングイベント")

    def __str__(self) -> str:
        return self.title


class PairOutcome(models.TextChoices):
    CONTINUE = "continue", _("続けて協議")
    DECIDED = "decided", _("連携決定")
    DROPPED = "dropped", _("見送り")


class PairFollowUp(models.TextChoices):
    """What a 連携決定 becomes when the event is closed (matching.events.services.event_close)."""

    PROPOSAL = "proposal", _("提案を送る（団体が受諾すると連携事業になります）")
    PROJECT = "project", _("連携事業として登録する（区と団体で合意済み）")


class EventPair(models.Model):
    """One programme slot: an issue and an organisation from a shortlisted candidate."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="pairs")
    issue = models.ForeignKey("issues.Issue", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "partners.Organization", on_delete=models.CASCADE, related_name="+"
    )
    resource = models.ForeignKey(
        "partners.Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    candidate = models.ForeignKey(
        "matching.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(_("結果"), max_length=10, choices=PairOutcome.choices, blank=True)
    # What a 連携決定 led to: the proposal sent, or the project staff confirmed. Only these count
    # as "became a project" (selectors.pair_outcome_figures), never the outcome alone.
    proposal = models.ForeignKey(
        "matching.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "matching.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Not a column: the event page sets it to the organisation's Outreach for this event.
    reach: Any

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "issue", "organization"], name="unique_event_pair"
            )
        ]


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("回答待ち")
    REGISTERED = "registered", _("参加登録済み")
    WAITLISTED = "waitlisted", _("キャンセル待ち")
    DECLINED = "declined", _("不参加")


class InviteeRole(models.TextChoices):
    PARTNER = "partner", _("連携候補の団体")
    OWNER = "owner", _("課題の担当者")
    RESIDENT = "resident", _("住民")


# Statuses that hold a place: a seat, or a place on the waiting list.
ACTIVE_STATUSES = (InvitationStatus.REGISTERED, InvitationStatus.WAITLISTED)
PARTY_SIZE_MAX = 5


class Invitation(models.Model):
    """A place at an event: an invitee's (a portal user) or a resident's sign-up (no account).

    Both count against the same capacity, in people (``party_size``; an invitee is one), and
    wait on the same waiting list (matching.events.services). A resident's ``checkin_code`` is
    the 受付番号 of the confirmation mail, given at sign-up and kept when the seat is cancelled.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    # A portal user (a member or the issue's owner), or, for an organisation without members,
    # one of its contacts, who answers through a mailed link (partners.reach).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    contact = models.ForeignKey(
        "partners.ContactPerson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organization = models.ForeignKey(
        "partners.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(_("立場"), max_length=10, choices=InviteeRole.choices)
    status = models.CharField(
        _("状態"),
        max_length=12,
        choices=InvitationStatus.choices,
        default=InvitationStatus.INVITED,
        db_index=True,
    )
    checkin_code = models.CharField(
        _("受付コード"), max_length=12, null=True, blank=True, unique=True
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("受付時刻"), null=True, blank=True)
    attended = models.BooleanField(_("出席"), null=True, blank=True)
    # A resident's sign-up (user is None): who, how to reach them, how many, what they need.
    name = models.CharField(_("お名前"), max_length=100, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    # portal.identifiers keys: one person signs up once per event however they type it.
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone_key = models.CharField(max_length=20, blank=True, editable=False)
    party_size = models.PositiveSmallIntegerField(_("人数"), default=1)
    accessibility_needs = models.TextField(_("配慮してほしいこと"), blank=True, max_length=1000)
    language = models.CharField(max_length=8, blank=True, editable=False)
    # When a resident's name, address and needs were erased (matching.events.retention); the
    # place, party size and attendance stay for the counts.
    erased_at = models.DateTimeField(_("個人情報の消去日時"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="unique_event_invitation"),
            models.CheckConstraint(
                condition=models.Q(party_size__gte=1, party_size__lte=PARTY_SIZE_MAX),
                name="invitation_party_size_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False)
                | models.Q(contact__isnull=False)
                | (~models.Q(name="") & (~models.Q(email_key="") | ~models.Q(phone_key="")))
                | models.Q(erased_at__isnull=False),
                name="invitation_user_or_resident_contact",
            ),
            # The race guard of "one sign-up per person and event" (the service says it first).
            models.UniqueConstraint(
                fields=["event", "email_key"],
                condition=~models.Q(email_key="") & models.Q(status__in=ACTIVE_STATUSES),
                name="unique_active_resident_email",
            ),
            models.UniqueConstraint(
                fields=["event", "phone_key"],
                condition=~models.Q(phone_key="") & models.Q(status__in=ACTIVE_STATUSES),
                name="unique_active_resident_phone",
            ),
        ]
        verbose_name = _("イベントの招待")
        verbose_name_plural = _("イベントの招待")

    @property
    def invitee(self) -> str:
        """Who is invited, as staff read it: the user, else the contact (by mail)."""
        return self.person

    @property
    def person(self) -> str:
        """Who holds the place, as the desk and the staff lists show it: the user, else the
        organisation's contact (invited by mail), else the resident who signed up."""
        if self.user_id is not None:
            return str(self.user)
        if self.contact_id is not None and self.contact:
            return self.contact.name
        if self.erased_at is not None:
            return str(ERASED)
        return self.name or "—"

    @property
    def is_resident(self) -> bool:
        return self.user_id is None and self.contact_id is None
