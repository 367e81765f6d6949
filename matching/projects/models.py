"""Collaboration projects (連携事業) and what funds and supports them: coordinator budgets
(裁量予算), small grants (少額助成) and outside support bodies (外部支援).

Imported by matching/models.py, so these models belong to the matching app (same tables).
Other apps' models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Project(models.Model):
    """連携事業: born when a partner accepts a proposal, or entered directly by a coordinator."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("準備中")
        RUNNING = "running", _("実施中")
        COMPLETED = "completed", _("完了")
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
