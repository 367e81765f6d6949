"""Questionnaires (アンケート) that staff build and the people asked answer themselves.

A questionnaire belongs to a project or (project empty) to the platform. Partners and staff are
invited one by one (a personal, signed, single-use link); residents answer through the
questionnaire's public link or its QR code shown at an event, each visitor getting a single-use
form token. One answer per link. An anonymous questionnaire keeps no respondent on its answers.
The answer to its satisfaction question (1–5) becomes a SatisfactionSurvey row, so the
satisfaction KPIs count questionnaire answers and paper responses typed in alike.

Imported at the end of evaluation/models.py so Django sees these models as part of the app;
other models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.locking import Versioned


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("5段階評価")
    SINGLE = "single", _("単一選択")
    MULTIPLE = "multiple", _("複数選択")
    TEXT = "text", _("自由記述")


class Questionnaire(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("準備中")
        OPEN = "open", _("回答受付中")
        CLOSED = "closed", _("締切")

    title = models.CharField(_("題名"), max_length=200)
    intro = models.TextField(_("回答者への説明"), blank=True, max_length=3000)
    project = models.ForeignKey(
        "matching.Project",
        verbose_name=_("連携事業"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questionnaires",
        help_text=_("空欄はプラットフォーム全体についてのアンケート"),
    )
    anonymous = models.BooleanField(
        _("匿名で回答を受け付ける"),
        default=True,
        help_text=_(
            "匿名の場合、回答には回答者を記録しません（送付先には回答済みの印だけ残ります）。"
        ),
    )
    public_link = models.BooleanField(
        _("住民向けの公開リンク（QRコード）を使う"),
        default=False,
        help_text=_("公開リンクから開いた人は、1回につき1件回答できます。"),
    )
    public_key = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        _("状態"), max_length=8, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    closes_on = models.DateField(
        _("回答期限"),
        null=True,
        blank=True,
        help_text=_("この日の終わり（東京時間）まで回答できます。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("アンケート")
        verbose_name_plural = _("アンケート")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("順番"), default=1)
    text = models.CharField(_("設問"), max_length=300)
    kind = models.CharField(_("回答の形式"), max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(_("選択肢"), default=list, blank=True)
    required = models.BooleanField(_("回答必須"), default=True)
    # The answer to this 1–5 question is the respondent's satisfaction (満足度) that the KPIs count.
    feeds_satisfaction = models.BooleanField(_("満足度の設問（KPIに集計）"), default=False)

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=models.Q(feeds_satisfaction=True),
                name="one_satisfaction_question",
            )
        ]
        verbose_name = _("設問")
        verbose_name_plural = _("設問")

    def __str__(self) -> str:
        return self.text


class QuestionnaireInvitation(models.Model):
    """A personal link sent to one partner member or staff member (one answer per link)."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="invitations"
    )
    respondent_type = models.CharField(
        _("回答者"), max_length=10, choices=[("partner", _("連携団体")), ("staff", _("職員"))]
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questionnaire_invitations"
    )
    # The random part of the signed link; compared in constant time, so the link cannot be forged
    # from the invitation's id alone.
    nonce = models.CharField(max_length=64)
    sent_at = models.DateTimeField(auto_now_add=True)
    # A date only: for an anonymous questionnaire the moment would tie the answer to the person.
    answered_on = models.DateField(_("回答日"), null=True, blank=True)

    class Meta:
        ordering = ["questionnaire", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "user"], name="unique_questionnaire_invitation"
            )
        ]
        verbose_name = _("アンケートの送付先")
        verbose_name_plural = _("アンケートの送付先")


class QuestionnaireResponse(models.Model):
    """One set of answers. ``respondent`` is kept only when the questionnaire is not anonymous."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    respondent_type = models.CharField(
        _("回答者"),
        max_length=10,
        choices=[("resident", _("住民")), ("partner", _("連携団体")), ("staff", _("職員"))],
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ward the answer is counted under: the project's ward, else the respondent's own ward
    # (a staff member's ward, a partner's organisation's ward); empty for a resident on the
    # platform questionnaire.
    ward = models.ForeignKey(
        "portal.Ward", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_on = models.DateField(_("回答日"), db_index=True)

    class Meta:
        ordering = ["questionnaire", "id"]
        verbose_name = _("アンケートの回答")
        verbose_name_plural = _("アンケートの回答")


class Answer(models.Model):
    response = models.ForeignKey(
        QuestionnaireResponse, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    selected = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True, max_length=3000)

    class Meta:
        ordering = ["response", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="unique_answer")
        ]
