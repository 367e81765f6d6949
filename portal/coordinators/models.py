"""Certification of coordinators (認定): decided by someone else, with its basis, kept in full.

Imported at the end of portal/models.py so the model belongs to the portal app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Certification(models.Model):
    """One decision on a coordinator's certification level (初級・中級・上級, or withdrawn).

    Made by an approver or an admin (portal.certify_coordinator), never by the coordinator; the
    basis is recorded with it: completed training hours, cases supported and the assessment.
    The coordinator's profile shows the latest decision; the rows are never changed afterwards.
    A coordinator's self-assessment (SkillSelfAssessment) is a separate record.
    """

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("コーディネーター"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    level = models.CharField(_("認定レベル"), max_length=20)
    previous_level = models.CharField(_("変更前のレベル"), max_length=20, blank=True)
    certified_on = models.DateField(_("認定日"))
    training_hours = models.DecimalField(
        _("研修の修了時間"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    cases_supported = models.PositiveIntegerField(_("支援した案件数"))
    assessment = models.TextField(_("評価の所見"), max_length=3000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("認定した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-certified_on", "-decided_at", "-pk"]
        verbose_name = _("コーディネーターの認定")
        verbose_name_plural = _("コーディネーターの認定")

    def __str__(self) -> str:
        return f"{self.coordinator} {self.level} ({self.certified_on})"
