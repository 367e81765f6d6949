"""Matching events (交流イベント・ピッチ会): themes, events, programme pairs and invitations.

Imported at the end of matching/models.py so Django sees these models as part of the app.
Other models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.locking import Versioned


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


class Event(Versioned):
    title = models.CharField(_("イベント名"), max_length=200)
    theme = models.ForeignKey(
        EventTheme, verbose_name=_("テーマ"), on_delete=models.PROTECT, related_name="events"
    )
    format = models.CharField(
        _("開催形式"), max_length=10, choices=EventFormat.choices, default=EventFormat.VENUE
    )
    venue = models.CharField(_("会場"), max_length=300, blank=True)
    meeting_url = models.URLField(_("オンライン会議のURL"), blank=True)
    description = models.TextField(_("内容"), blank=True, max_length=5000)
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


class Invitation(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_invitations"
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="unique_event_invitation")
        ]
        verbose_name = _("イベントの招待")
        verbose_name_plural = _("イベントの招待")
