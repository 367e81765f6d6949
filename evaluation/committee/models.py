"""The external evaluation committee's rubric and opinions (外部評価委員会).

Members (evaluation.models.CommitteeMember, with their background) score a project's review on
each criterion of an editable rubric, 1–5 with a comment; the committee as a whole writes an
opinion per project and an overall opinion for the 年度, which are published with the report.
Partners see the committee's result for their project (mean per criterion, opinion), never a
member's own scores.

Imported at the end of evaluation/models.py so Django sees these models as part of the app;
other models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RubricCriterion(models.Model):
    """One criterion of the rubric (評価観点); retired criteria keep their past scores."""

    name = models.CharField(_("評価観点"), max_length=100, unique=True)
    description = models.CharField(_("説明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    active = models.BooleanField(_("使用中"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("評価観点")
        verbose_name_plural = _("評価観点")

    def __str__(self) -> str:
        return self.name


class RubricScore(models.Model):
    """A member's 1–5 score and comment on one criterion, within their review of a project."""

    review = models.ForeignKey(
        "evaluation.Review", on_delete=models.CASCADE, related_name="rubric_scores"
    )
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(
        _("評点（1〜5）"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("コメント"), blank=True, max_length=2000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "criterion__order", "criterion__name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="unique_rubric_score"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rubric_score_1_5"
            ),
        ]
        verbose_name = _("観点別評点")
        verbose_name_plural = _("観点別評点")

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class CommitteeOpinion(models.Model):
    """The committee's opinion (委員会意見) on one project, or (project empty) its overall
    opinion (総評) on the 年度; published with the annual report."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    project = models.ForeignKey(
        "matching.Project",
        verbose_name=_("連携事業"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="committee_opinions",
    )
    text = models.TextField(_("委員会の意見"), max_length=5000)
    decided_on = models.DateField(_("決定日"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-fiscal_year", "project"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "project"], name="unique_project_opinion"
            ),
            models.UniqueConstraint(
                fields=["fiscal_year"],
                condition=models.Q(project__isnull=True),
                name="unique_overall_opinion",
            ),
        ]
        verbose_name = _("外部評価委員会の意見")
        verbose_name_plural = _("外部評価委員会の意見")

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.project or _('総評')}"
