"""Collaboration projects (連携事業) and what funds and supports them: coordinator budgets
(裁量予算), small grants (少額助成) and outside support bodies (外部支援).

Imported by matching/models.py, so these models belong to the matching app (same tables).
Other apps' models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Project(models.Model):
    """連携事業: born when a partner accepts a proposal, when staff confirm an event's 連携決定,
    or entered directly by a coordinator.

    Its lifecycle (services.PROJECT_TRANSITIONS): 準備中 → 実証 (a pilot at small scale) →
    本格導入 (the ward adopts it as regular work) / 継続 (it runs on in its pilot form after the
    pilot period, not yet adopted nor ended) / 終了 (finished) / 中止 (stopped before its end).
    Every change is kept in ProjectStatusChange with the day it took effect.

    The three cost figures are totals in yen kept by services.project_costs_recount from the
    parties' contributions (ProjectContribution) and the grants (Grant): 公的負担 = the ward's
    money and in-kind plus the grants from coordinator budgets; 団体負担 = the organisations'
    money; 現物提供の評価額 = the organisations' in-kind contributions.
    """

    class Status(models.TextChoices):
        PREPARING = "preparing", _("準備中")
        PILOT = "pilot", _("実証")
        ADOPTED = "adopted", _("本格導入")
        CONTINUING = "continuing", _("継続")
        COMPLETED = "completed", _("終了")
        CANCELLED = "cancelled", _("中止")

    title = models.CharField(_("事業名"), max_length=200)
    summary = models.TextField(_("概要"), blank=True, max_length=5000)
    issues = models.ManyToManyField(
        "issues.Issue", verbose_name=_("地域課題"), related_name="projects"
    )
    organizations = models.ManyToManyField(
        "partners.Organization", verbose_name=_("連携団体"), related_name="projects"
    )
    proposal = models.OneToOneField(
        "matching.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project",
    )
    ward = models.ForeignKey(
        "portal.Ward", verbose_name=_("区"), null=True, blank=True, on_delete=models.PROTECT
    )
    field = models.ForeignKey(
        "portal.Field", verbose_name=_("分野"), null=True, blank=True, on_delete=models.PROTECT
    )
    resource = models.ForeignKey(
        "partners.Resource",
        verbose_name=_("リソース"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_projects",
    )
    start_date = models.DateField(_("開始日"))
    end_date = models.DateField(_("終了日"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.PREPARING, db_index=True
    )
    public_cost = models.PositiveBigIntegerField(_("公的負担（円）"), default=0)
    partner_cost = models.PositiveBigIntegerField(_("団体負担（円）"), default=0)
    in_kind_value = models.PositiveBigIntegerField(_("現物提供の評価額（円）"), default=0)
    participants = models.PositiveIntegerField(_("参加者数"), default=0)
    beneficiaries = models.PositiveIntegerField(_("受益者数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("連携事業")
        verbose_name_plural = _("連携事業")

    def __str__(self) -> str:
        return self.title


# Groups of statuses that the rest of the portal asks about.
PROJECT_UNDERWAY = (Project.Status.PILOT, Project.Status.ADOPTED, Project.Status.CONTINUING)
PROJECT_LIVE = (Project.Status.PREPARING, *PROJECT_UNDERWAY)
PROJECT_ENDED = (Project.Status.COMPLETED, Project.Status.CANCELLED)
# A pilot is in progress while the project is 実証 or 継続; it concludes with one of these.
PILOT_PHASE = (Project.Status.PILOT, Project.Status.CONTINUING)
PILOT_CONCLUSIONS = (Project.Status.ADOPTED, Project.Status.COMPLETED, Project.Status.CANCELLED)


class ProjectStatusChange(models.Model):
    """One step of a project's lifecycle: from which status to which, on which day, by whom.

    ``changed_on`` is the day the change took effect (a Tokyo date, today or earlier): a pilot
    that became 本格導入 on 1 April is recorded on that day even when entered a week later.
    ``from_status`` is empty for the status a project was created with.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        _("変更前"), max_length=12, choices=Project.Status.choices, blank=True
    )
    to_status = models.CharField(_("変更後"), max_length=12, choices=Project.Status.choices)
    changed_on = models.DateField(_("変更日"), db_index=True)
    note = models.TextField(_("理由・メモ"), blank=True, max_length=2000)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_on", "recorded_at", "pk"]
        verbose_name = _("連携事業の状態変更")
        verbose_name_plural = _("連携事業の状態変更")

    def __str__(self) -> str:
        return f"{self.project}: {self.from_status or '—'} → {self.to_status} ({self.changed_on})"


class ProjectContribution(models.Model):
    """費用分担: what one party puts into a project, in yen (money and in-kind valued).

    ``organization`` None is the ward (the public side); otherwise one of the project's
    organisations. One row per party and project.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contributions")
    organization = models.ForeignKey(
        "partners.Organization",
        verbose_name=_("負担する団体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cash = models.PositiveBigIntegerField(_("負担額（円）"), default=0)
    in_kind = models.PositiveBigIntegerField(_("現物提供の評価額（円）"), default=0)
    in_kind_note = models.CharField(_("現物提供の内容"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organization"], name="unique_contribution_per_party"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(organization__isnull=True),
                name="unique_ward_contribution",
            ),
        ]
        verbose_name = _("費用分担")
        verbose_name_plural = _("費用分担")


class ProgressReport(models.Model):
    """進捗報告: what a partner organisation's member reports from their side of a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_reports")
    organization = models.ForeignKey(
        "partners.Organization", on_delete=models.CASCADE, related_name="+"
    )
    reported_on = models.DateField(_("報告日"))
    body = models.TextField(_("進捗"), max_length=5000)
    next_steps = models.TextField(_("次の予定"), blank=True, max_length=2000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = _("進捗報告")
        verbose_name_plural = _("進捗報告")


def _document_upload_to(instance: ProjectDocument, filename: str) -> str:
    # A random name: the stored path neither reveals the person's file name nor can be guessed.
    suffix = Path(filename).suffix.lower()[:10]
    return f"matching/projects/{uuid.uuid4().hex}{suffix}"


class ProjectDocument(models.Model):
    """A document of a project (plan, agreement, minutes, photos), served only through a view
    that checks who may see the project (matching.view_project)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("資料名"), max_length=200)
    file = models.FileField(upload_to=_document_upload_to)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    organization = models.ForeignKey(
        "partners.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("連携事業の資料")
        verbose_name_plural = _("連携事業の資料")

    def __str__(self) -> str:
        return self.title


class ProblemKind(models.TextChoices):
    START = "start", _("連携開始支援")
    TROUBLE = "trouble", _("トラブル対応")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("未対応")
    IN_PROGRESS = "in_progress", _("対応中")
    RESOLVED = "resolved", _("解決")


class ProjectProblem(models.Model):
    """A problem raised on a project (連携開始支援・トラブル対応), by the ward's staff or by a
    partner member, handled by the coordinator until it is resolved.

    ``organization`` is the raising organisation (None when staff raised it); ``assigned_to``
    is the coordinator who handles it (counted in their caseload).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(
        _("種類"), max_length=10, choices=ProblemKind.choices, default=ProblemKind.TROUBLE
    )
    title = models.CharField(_("件名"), max_length=200)
    description = models.TextField(_("内容"), max_length=5000)
    status = models.CharField(
        _("対応状況"),
        max_length=12,
        choices=ProblemStatus.choices,
        default=ProblemStatus.OPEN,
        db_index=True,
    )
    organization = models.ForeignKey(
        "partners.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("対応するコーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project_problems",
    )
    resolution = models.TextField(_("対応の記録"), blank=True, max_length=5000)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("連携事業の課題・トラブル")
        verbose_name_plural = _("連携事業の課題・トラブル")

    def __str__(self) -> str:
        return self.title


class SupportBodyType(models.TextChoices):
    CONSULTANCY = "consultancy", _("コンサルティング")
    INTERMEDIARY = "intermediary", _("中間支援NPO")
    OTHER = "other", _("その他")


class ExternalSupport(models.Model):
    """外部支援: which projects an outside body (consultancy, 中間支援NPO) supports."""

    project = models.ForeignKey(
        "matching.Project",
        verbose_name=_("連携事業"),
        on_delete=models.CASCADE,
        related_name="external_supports",
    )
    body_name = models.CharField(_("支援機関名"), max_length=200)
    body_type = models.CharField(_("種別"), max_length=20, choices=SupportBodyType.choices)
    description = models.TextField(_("支援内容"), max_length=3000)
    started_on = models.DateField(_("開始日"), null=True, blank=True)
    ended_on = models.DateField(_("終了日"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("外部支援")
        verbose_name_plural = _("外部支援")

    def __str__(self) -> str:
        return self.body_name


class CoordinatorBudget(models.Model):
    """裁量予算: a coordinator's annual budget for small grants."""

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("コーディネーター"),
        on_delete=models.PROTECT,
        related_name="budgets",
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.PositiveBigIntegerField(_("予算額（円）"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-fiscal_year", "coordinator__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["coordinator", "fiscal_year"], name="unique_budget_per_year"
            )
        ]
        verbose_name = _("裁量予算")
        verbose_name_plural = _("裁量予算")


class Grant(models.Model):
    budget = models.ForeignKey(CoordinatorBudget, on_delete=models.PROTECT, related_name="grants")
    project = models.ForeignKey(
        "matching.Project",
        verbose_name=_("連携事業"),
        on_delete=models.PROTECT,
        related_name="grants",
    )
    amount = models.PositiveBigIntegerField(_("助成額（円）"))
    purpose = models.CharField(_("用途"), max_length=300)
    awarded_on = models.DateField(_("交付日"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-awarded_on"]
        verbose_name = _("少額助成")
        verbose_name_plural = _("少額助成")
