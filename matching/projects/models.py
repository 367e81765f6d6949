"""Funding and support of collaboration projects: coordinator budgets (裁量予算), small grants
(少額助成) and outside support bodies (外部支援)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
