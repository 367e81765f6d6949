"""The community-issue database (地域課題データベース)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.models import Field, Ward

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class IssueStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    REVIEWING = "reviewing", _("精査中")
    OPEN = "open", _("募集中")
    COLLABORATING = "collaborating", _("連携中")
    RESOLVED = "resolved", _("解決")
    ON_HOLD = "on_hold", _("保留")
    WITHDRAWN = "withdrawn", _("取下げ")


class IssueSource(models.TextChoices):
    SURVEY = "survey", _("住民アンケート")
    HEARING = "hearing", _("ヒアリング")
    STATISTICS = "statistics", _("統計分析")
    STAFF = "staff", _("職員提案")
    RESIDENT = "resident", _("住民投稿")


class TargetGroup(models.TextChoices):
    ELDERLY = "elderly", _("高齢者")
    FAMILIES = "families", _("子育て世帯")
    FOREIGN = "foreign", _("外国人住民")
    DISABLED = "disabled", _("障害者")
    YOUTH = "youth", _("若者")
    STUDENTS = "students", _("児童・生徒")
    BUSINESSES = "businesses", _("地域事業者")
    ALL = "all", _("住民全般")


class Issue(models.Model):
    ref = models.CharField(_("整理番号"), max_length=40, unique=True)
    title = models.CharField(_("課題名"), max_length=200)
    description = models.TextField(_("課題の内容"), max_length=5000)
    ward = models.ForeignKey(
        Ward,
        verbose_name=_("区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
        help_text=_("空欄は区を問わない課題"),
    )
    area = models.CharField(_("町丁目・地域"), max_length=100, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    field = models.ForeignKey(
        Field, verbose_name=_("分野"), on_delete=models.PROTECT, related_name="issues"
    )
    sdgs = models.JSONField(_("SDGs"), default=list, blank=True)
    target_groups = models.JSONField(_("対象者"), default=list, blank=True)
    source = models.CharField(
        _("把握の経緯"), max_length=20, choices=IssueSource.choices, default=IssueSource.STAFF
    )
    evidence = models.TextField(_("根拠・統計"), max_length=3000, blank=True)
    desired_resource_kinds = models.JSONField(_("求めるリソース"), default=list, blank=True)
    budget_min = models.PositiveIntegerField(_("予算下限（円）"), null=True, blank=True)
    budget_max = models.PositiveIntegerField(_("予算上限（円）"), null=True, blank=True)
    desired_start = models.DateField(_("希望開始日"), null=True, blank=True)
    desired_end = models.DateField(_("希望終了日"), null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(_("緊急度"), default=3, validators=SCORE_VALIDATORS)
    importance = models.PositiveSmallIntegerField(
        _("重要度"), default=3, validators=SCORE_VALIDATORS
    )
    difficulty = models.PositiveSmallIntegerField(
        _("解決困難度"), default=3, validators=SCORE_VALIDATORS
    )
    priority = models.DecimalField(
        _("優先度"), max_digits=5, decimal_places=2, default=0, db_index=True
    )
    status = models.CharField(
        _("状態"),
        max_length=20,
        choices=IssueStatus.choices,
        default=IssueStatus.DRAFT,
        db_index=True,
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_issues",
    )
    internal_note = models.TextField(_("内部メモ"), blank=True, max_length=3000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="optimistic-locking counter")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "-created_at"]
        indexes = [
            models.Index(fields=["status", "ward"]),
            models.Index(fields=["field", "status"]),
        ]
        verbose_name = _("地域課題")
        verbose_name_plural = _("地域課題")

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"
