"""The community-issue database (地域課題データベース)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.identifiers import NormalizedKeyField, SearchTextField, reference_key
from portal.localcontent import EnglishContent
from portal.locking import Versioned
from portal.models import Field, Ward

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


class Issue(EnglishContent, Versioned):
    # The public page in English: a title and a plain-language summary in place of the
    # description (written for residents, not a translation of the staff wording).
    ENGLISH = {"title": "title_en", "description": "summary_en"}

    ref = models.CharField(_("整理番号"), max_length=40, unique=True)
    title = models.CharField(_("課題名"), max_length=200)
    description = models.TextField(_("課題の内容"), max_length=5000)
    title_en = models.CharField(_("課題名（英語）"), max_length=200, blank=True)
    summary_en = models.TextField(_("わかりやすい概要（英語）"), max_length=2000, blank=True)
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
    status_changed_at = models.DateTimeField(_("状態の変更日時"), null=True, blank=True)
    # The ref as compared (portal.identifiers.reference_key): an import row or a form that
    # types the ref in full-width digits or with another dash finds this issue, and no second
    # issue can take a spelling of the same ref. `ref` itself stays as given.
    ref_key = NormalizedKeyField(source="ref", unique=True)
    # Title, description, ref and area folded for the search box (the registry's approach).
    search_text = SearchTextField(sources=("ref", "title", "area", "description"))
    history = HistoricalRecords(excluded_fields=["updated_at", "ref_key", "search_text"])

    # Not columns: issues.views sets these on the rows it renders (annotations only).
    can_edit: bool
    status_choices: list[tuple[str, StrOrPromise]]

    class Meta:
        ordering = ["-priority", "-created_at"]
        indexes = [
            models.Index(fields=["status", "ward"]),
            # Covering indexes for the counts of the KPI dashboard, the field gap and the
            # coordinators' caseload: the database reads the small index, not the 10,000 wide
            # rows (three to four times faster on SQLite; index-only scans on PostgreSQL).
            models.Index(
                fields=["field", "status", "created_at", "ward"], name="issue_field_counts_idx"
            ),
            models.Index(
                fields=["coordinator", "status", "created_at", "updated_at", "status_changed_at"],
                name="issue_caseload_idx",
            ),
            models.Index(fields=["priority", "created_at"], name="issue_triage_order_idx"),
        ]
        verbose_name = _("地域課題")
        verbose_name_plural = _("地域課題")

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def clean(self) -> None:
        """Rules between fields (shared by the form and the import)."""
        errors: dict[str, object] = {}
        if (
            self.budget_min is not None
            and self.budget_max is not None
            and self.budget_min > self.budget_max
        ):
            errors["budget_max"] = _("予算上限は予算下限以上にしてください。")
        if self.desired_start and self.desired_end and self.desired_end < self.desired_start:
            errors["desired_end"] = _("希望終了日は希望開始日以降にしてください。")
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None) -> None:
        # ref_key is filled on save; before that it says nothing, so the ref is checked here.
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"ref_key"})
        if "ref" in exclude:
            return
        taken = Issue.objects.filter(ref_key=reference_key(self.ref)).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"ref": _("この整理番号は既に使われています。")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def public_ward_key(self) -> str:
        """The ward part of the issue's public address: its ward's code, "all" for an issue
        that is not tied to a ward (read with the ward loaded: select_related("ward"))."""
        return self.ward.code if self.ward is not None else PUBLIC_ANY_WARD


# 「未解決で動いている課題」 for the map and the dashboard: being reviewed or open for partners.
OPEN_STATUSES = (IssueStatus.REVIEWING, IssueStatus.OPEN)
PUBLIC_ANY_WARD = "all"
# What the public sees, in the order an issue goes through them: 募集中 → 連携中 → 解決.
# Drafts, issues being reviewed, on hold or withdrawn are never public (their page is a 404).
PUBLIC_STATUSES = (IssueStatus.OPEN, IssueStatus.COLLABORATING, IssueStatus.RESOLVED)


class PriorityWeights(models.Model):
    """The weights of the priority formula (one row, editable by admins; see issues/priority.py)."""

    urgency_weight = models.PositiveSmallIntegerField(
        _("緊急度の重み"), default=4, validators=[MaxValueValidator(10)]
    )
    importance_weight = models.PositiveSmallIntegerField(
        _("重要度の重み"), default=4, validators=[MaxValueValidator(10)]
    )
    ease_weight = models.PositiveSmallIntegerField(
        _("解決しやすさの重み"),
        default=2,
        validators=[MaxValueValidator(10)],
        help_text=_("解決困難度が低いほど優先度が上がる度合い"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("優先度の重み")
        verbose_name_plural = _("優先度の重み")

    def __str__(self) -> str:
        return f"{self.urgency_weight}:{self.importance_weight}:{self.ease_weight}"

    def clean(self) -> None:
        if not (self.urgency_weight or self.importance_weight or self.ease_weight):
            raise ValidationError(_("重みのうち少なくとも1つは1以上にしてください。"))


class IssueLinkKind(models.TextChoices):
    DUPLICATE = "duplicate", _("重複")
    SAME_OTHER_WARD = "same_other_ward", _("他区の同一課題")


class IssueLink(models.Model):
    """Two issues a coordinator declared the same (a duplicate, or the same issue in another ward)."""

    from_issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="links_from")
    to_issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(_("関係"), max_length=20, choices=IssueLinkKind.choices)
    similarity = models.FloatField(_("類似度"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["from_issue", "to_issue"], name="unique_issue_link"),
            models.CheckConstraint(
                condition=~models.Q(from_issue=models.F("to_issue")), name="issue_link_not_self"
            ),
        ]
        verbose_name = _("課題の関連付け")
        verbose_name_plural = _("課題の関連付け")

    def __str__(self) -> str:
        return f"{self.from_issue_id} {self.kind} {self.to_issue_id}"
