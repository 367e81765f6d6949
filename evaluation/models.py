"""Everything evaluation measures about a collaboration project (matching.Project)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matching.projects.models import Project
from portal.localcontent import EnglishContent
from portal.locking import Versioned
from portal.models import Field, Ward

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Level(models.TextChoices):
    OUTPUT = "output", _("アウトプット")
    OUTCOME = "outcome", _("アウトカム")
    IMPACT = "impact", _("インパクト")


class IndicatorKind(models.TextChoices):
    QUANTITATIVE = "quantitative", _("定量")
    QUALITATIVE = "qualitative", _("定性")


class Term(models.TextChoices):
    SHORT = "short", _("短期")
    MID = "mid", _("中期")
    LONG = "long", _("長期")


class IndicatorBase(models.Model):
    name = models.CharField(_("指標名"), max_length=120)
    description = models.TextField(_("説明"), blank=True, max_length=2000)
    level = models.CharField(_("段階"), max_length=10, choices=Level.choices)
    kind = models.CharField(
        _("種類"), max_length=12, choices=IndicatorKind.choices, default=IndicatorKind.QUANTITATIVE
    )
    term = models.CharField(_("期間"), max_length=5, choices=Term.choices, default=Term.SHORT)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    baseline = models.DecimalField(
        _("基準値"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(
        _("目標値"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    higher_is_better = models.BooleanField(_("大きいほど良い"), default=True)
    # Counts, amounts and rates are never below zero: a negative measurement is a device or
    # typing fault, refused unless the indicator is a change that can go down (e.g. 増減率).
    allows_negative = models.BooleanField(_("負の値を認める"), default=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class IndicatorDefinition(IndicatorBase):
    """The standard library (評価指標ライブラリ): indicators per field a project can pick from."""

    field = models.ForeignKey(
        Field,
        verbose_name=_("分野"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicator_definitions",
    )

    class Meta:
        ordering = ["field__order", "level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["field", "name"], name="unique_indicator_per_field")
        ]
        verbose_name = _("標準指標")
        verbose_name_plural = _("標準指標")


class ProjectIndicator(IndicatorBase):
    """An indicator a project measures: picked from the library (copied) or its own."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="indicators")
    definition = models.ForeignKey(
        IndicatorDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_indicator_per_project")
        ]
        verbose_name = _("事業の評価指標")
        verbose_name_plural = _("事業の評価指標")


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("手入力")
    SURVEY = "survey", _("アンケート")
    CSV = "csv", _("CSV取込")
    DEVICE = "device", _("機器・アプリ連携")


class Measurement(models.Model):
    indicator = models.ForeignKey(
        ProjectIndicator, on_delete=models.CASCADE, related_name="measurements"
    )
    measured_on = models.DateField(_("測定日"), db_index=True)
    value = models.DecimalField(_("値"), max_digits=14, decimal_places=2, null=True, blank=True)
    text = models.TextField(_("定性評価"), blank=True, max_length=3000)
    source = models.CharField(
        _("取得方法"), max_length=10, choices=MeasurementSource.choices, default="manual"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "measured_on", "id"]
        verbose_name = _("測定値")
        verbose_name_plural = _("測定値")

    def __str__(self) -> str:
        return f"{self.indicator} {self.measured_on}: {self.value if self.value is not None else self.text[:20]}"


class FeedInterval(models.IntegerChoices):
    HOURLY = 1, _("1時間ごと")
    SIX_HOURLY = 6, _("6時間ごと")
    DAILY = 24, _("1日ごと")


class DeviceFeed(models.Model):
    """A token a device or app uses to post measurements of one project (stored hashed)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="device_feeds")
    name = models.CharField(_("連携名"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8)
    # How often the device is expected to send (the measurement-system availability KPI counts
    # intervals of this length). Set when the feed is issued and not changed afterwards: the
    # deliveries already recorded are kept per interval of this length.
    interval_hours = models.PositiveSmallIntegerField(
        _("送信間隔"), choices=FeedInterval.choices, default=FeedInterval.DAILY
    )
    active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("機器・アプリ連携")
        verbose_name_plural = _("機器・アプリ連携")

    def __str__(self) -> str:
        return f"{self.name} (…{self.token_hint})"


class FeedDelivery(models.Model):
    """That a feed delivered at least one accepted batch in one of its intervals (no content)."""

    feed = models.ForeignKey(DeviceFeed, on_delete=models.CASCADE, related_name="deliveries")
    interval_start = models.DateTimeField(db_index=True)
    batches = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "interval_start"], name="unique_feed_interval")
        ]


class RespondentType(models.TextChoices):
    RESIDENT = "resident", _("住民")
    PARTNER = "partner", _("連携団体")
    STAFF = "staff", _("職員")


class SatisfactionSurvey(models.Model):
    """One satisfaction response (1–5 and free text), for a project or (project empty) the platform."""

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    respondent_type = models.CharField(_("回答者"), max_length=10, choices=RespondentType.choices)
    score = models.PositiveSmallIntegerField(_("満足度（1〜5）"), validators=SCORE_VALIDATORS)
    comment = models.TextField(_("自由記述"), blank=True, max_length=3000)
    answered_on = models.DateField(_("回答日"), db_index=True)
    # The questionnaire answer this satisfaction score came from; empty for a paper response an
    # evaluator typed in.
    response = models.OneToOneField(
        "evaluation.QuestionnaireResponse",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="satisfaction",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="survey_score_1_5"
            )
        ]
        verbose_name = _("満足度調査の回答")
        verbose_name_plural = _("満足度調査の回答")

    def __str__(self) -> str:
        return f"{self.answered_on} {self.get_respondent_type_display()} {self.score}"


class MemberBackground(models.TextChoices):
    """The seed's composition of the committee: 学識経験者、他地域の実践者、住民代表等."""

    ACADEMIC = "academic", _("学識経験者")
    PRACTITIONER = "practitioner", _("他地域の実践者")
    RESIDENT = "resident", _("住民代表")
    OTHER = "other", _("その他")


class CommitteeMember(models.Model):
    """A member of the external evaluation committee (外部評価委員会)."""

    name = models.CharField(_("氏名"), max_length=100)
    affiliation = models.CharField(_("所属・役職"), max_length=200, blank=True)
    background = models.CharField(
        _("区分"), max_length=12, choices=MemberBackground.choices, default=MemberBackground.OTHER
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_member",
    )
    active = models.BooleanField(_("在任"), default=True)
    appointed_on = models.DateField(_("就任日"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("外部評価委員")
        verbose_name_plural = _("外部評価委員")

    def __str__(self) -> str:
        return self.name


class ConflictOfInterest(models.Model):
    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="conflicts")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(_("利害関係の内容"), max_length=300)
    declared_on = models.DateField(_("申告日"))
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "project"], name="unique_conflict")
        ]
        verbose_name = _("利益相反の申告")
        verbose_name_plural = _("利益相反の申告")


class ReviewKind(models.TextChoices):
    ANNUAL = "annual", _("年次評価")
    MIDTERM = "midterm", _("中間評価")


class Review(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews")
    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("評価の種類"), max_length=10, choices=ReviewKind.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    # The member's overall score: the mean of their rubric scores (evaluation.committee), kept
    # here so the committee KPI and the tables read one column. Reviews recorded before the
    # rubric hold the single 1–5 score given then.
    score = models.DecimalField(
        _("評点（1〜5）"), max_digits=3, decimal_places=2, validators=SCORE_VALIDATORS
    )
    comment = models.TextField(_("講評"), blank=True, max_length=5000)
    reviewed_on = models.DateField(_("評価日"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-fiscal_year", "project", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "member", "kind", "fiscal_year"], name="unique_review"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="review_score_1_5"
            ),
        ]
        verbose_name = _("外部評価")
        verbose_name_plural = _("外部評価")

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.get_kind_display()} {self.member}: {self.score}"


class ImprovementAction(Versioned):
    """One recommendation of a review, tracked until it is implemented (or not)."""

    class Status(models.TextChoices):
        OPEN = "open", _("対応中")
        IMPLEMENTED = "implemented", _("実施済み")
        NOT_IMPLEMENTED = "not_implemented", _("未実施")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    recommendation = models.TextField(_("提言"), max_length=2000)
    status = models.CharField(
        _("対応状況"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    due_date = models.DateField(_("対応期限"), null=True, blank=True)
    decided_on = models.DateField(_("判定日"), null=True, blank=True)
    note = models.TextField(_("対応内容"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("改善アクション")
        verbose_name_plural = _("改善アクション")

    def __str__(self) -> str:
        return self.recommendation[:60]


class Continuation(models.Model):
    """The state of a project 1 and 2 years after its start."""

    class State(models.TextChoices):
        CONTINUED = "continued", _("継続")
        DEVELOPED = "developed", _("発展")
        ENDED = "ended", _("終了")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="continuations")
    years = models.PositiveSmallIntegerField(
        _("開始後の年数"), choices=[(1, _("1年後")), (2, _("2年後"))]
    )
    state = models.CharField(_("状態"), max_length=10, choices=State.choices)
    recorded_on = models.DateField(_("記録日"))
    note = models.TextField(_("備考"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "years"]
        constraints = [
            models.UniqueConstraint(fields=["project", "years"], name="unique_continuation")
        ]
        verbose_name = _("継続状況")
        verbose_name_plural = _("継続状況")

    def __str__(self) -> str:
        return f"{self.project} {self.get_years_display()}: {self.get_state_display()}"


class PaymentSchedule(models.Model):
    """成果連動型委託: an amount paid when an indicator reaches a threshold by a verification date."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    indicator = models.ForeignKey(
        ProjectIndicator, on_delete=models.PROTECT, related_name="payments"
    )
    threshold = models.DecimalField(_("達成基準値"), max_digits=14, decimal_places=2)
    amount = models.PositiveBigIntegerField(_("支払額（円）"))
    verification_date = models.DateField(_("検証日"))
    note = models.CharField(_("備考"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "verification_date"]
        verbose_name = _("成果連動支払")
        verbose_name_plural = _("成果連動支払")


class WardKpiTarget(models.Model):
    """A ward's own target for one KPI, set by evaluators; without one the ward's target is
    derived from the 23-ward target (evaluation.kpi.targets)."""

    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("指標"), max_length=40)
    target = models.DecimalField(_("区の目標値"), max_digits=14, decimal_places=2)
    note = models.CharField(_("根拠"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ward", "code"], name="unique_ward_kpi_target")
        ]
        verbose_name = _("区別のKPI目標")
        verbose_name_plural = _("区別のKPI目標")

    def __str__(self) -> str:
        return f"{self.ward} {self.code}: {self.target}"


class CaseFactor(models.TextChoices):
    CLEAR_GOAL = "clear_goal", _("目標と役割分担が明確")
    RESIDENT = "resident", _("住民の参加")
    LEADERSHIP = "leadership", _("キーパーソンの存在")
    COORDINATOR = "coordinator", _("コーディネーターの伴走")
    FUNDING = "funding", _("資金の確保")
    DATA = "data", _("データに基づく改善")
    COMMUNICATION = "communication", _("関係者間の情報共有")
    TIMING = "timing", _("時期・期間の設定")
    CAPACITY = "capacity", _("担い手・体制")
    EXPECTATION = "expectation", _("期待値のすり合わせ")


class CaseStudy(EnglishContent, models.Model):
    """ベストプラクティス・失敗事例: a project's write-up for the case library."""

    ENGLISH = {"title": "title_en", "summary": "summary_en", "lessons": "lessons_en"}

    class Kind(models.TextChoices):
        BEST = "best", _("ベストプラクティス")
        FAILURE = "failure", _("失敗事例")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cases")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("題名"), max_length=200)
    summary = models.TextField(_("概要"), max_length=5000)
    title_en = models.CharField(_("題名（英語）"), max_length=200, blank=True)
    summary_en = models.TextField(_("概要（英語）"), max_length=5000, blank=True)
    success_factors = models.JSONField(_("成功要因"), default=list, blank=True)
    failure_factors = models.JSONField(_("課題・失敗要因"), default=list, blank=True)
    factors_note = models.TextField(_("要因の補足"), blank=True, max_length=3000)
    lessons = models.TextField(_("教訓"), blank=True, max_length=3000)
    lessons_en = models.TextField(_("教訓（英語）"), blank=True, max_length=3000)
    published = models.BooleanField(_("公開"), default=False)
    reused_by = models.ManyToManyField(
        Ward, through="CaseReuse", verbose_name=_("活用した区"), related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("事例")
        verbose_name_plural = _("事例")

    def __str__(self) -> str:
        return self.title


class CaseReuse(models.Model):
    case = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="reuses")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")
    reused_on = models.DateField(_("活用日"))
    note = models.CharField(_("備考"), max_length=300, blank=True)

    class Meta:
        ordering = ["reused_on"]
        constraints = [models.UniqueConstraint(fields=["case", "ward"], name="unique_case_reuse")]
        verbose_name = _("事例の活用")
        verbose_name_plural = _("事例の活用")

    def __str__(self) -> str:
        return f"{self.case} → {self.ward}（{self.reused_on}）"


def _report_upload_to(instance: ReportFile, filename: str) -> str:
    # Random name: the path never reveals or lets anyone guess another report.
    suffix = ".pdf" if instance.format == ReportFile.Format.PDF else ".csv"
    return f"evaluation/reports/{uuid.uuid4().hex}{suffix}"


class ReportIssuer(models.Model):
    """Who issues the evaluation report, printed on its cover; one row, edited by staff in the
    admin (「報告書の発行者」) so a change of department or contact needs no deploy.

    The cover prints the first row, or says 未設定 before one is saved.
    """

    issuer = models.CharField(
        _("発行者"), max_length=100, help_text=_("区名または組織名。例: 特別区長会事務局")
    )
    department = models.CharField(
        _("担当部署"), max_length=100, blank=True, help_text=_("例: 地域連携推進課")
    )
    contact = models.CharField(
        _("連絡先"),
        max_length=200,
        blank=True,
        help_text=_("電話番号またはメールアドレス。例: 03-0000-0000"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("報告書の発行者")
        verbose_name_plural = _("報告書の発行者")

    def __str__(self) -> str:
        return " ".join(part for part in (self.issuer, self.department) if part)


class ReportFile(models.Model):
    """A generated annual / quarterly report, kept for download (served only through a view)."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        CSV = "csv", "CSV"

    class Language(models.TextChoices):
        # Each language named in itself, as a language switch does: a reader finds their own.
        JA = "ja", "日本語"
        EN = "en", "English"

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("作成中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    fiscal_year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    quarter = models.PositiveSmallIntegerField(_("四半期"), null=True, blank=True)
    ward = models.ForeignKey(
        Ward, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(_("形式"), max_length=3, choices=Format.choices)
    # The CSV's headers and indicator names (evaluation.report.CSV_COLUMNS); a PDF is Japanese.
    language = models.CharField(
        _("CSVの言語"), max_length=2, choices=Language.choices, default=Language.JA
    )
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default="queued")
    progress = models.PositiveSmallIntegerField(_("進捗（%）"), default=0)
    file = models.FileField(upload_to=_report_upload_to, blank=True)
    figures = models.JSONField(default=list, blank=True, help_text="KPI snapshot at build time")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("報告書")
        verbose_name_plural = _("報告書")

    def __str__(self) -> str:
        return f"{self.fiscal_year} Q{self.quarter or '-'} {self.format}"


# Django discovers an app's models through its models module: the concept packages' models are
# imported here so that they belong to the evaluation app.
from evaluation.committee.models import (  # noqa: E402,F401
    CommitteeOpinion,
    RubricCriterion,
    RubricScore,
)
from evaluation.questionnaires.models import (  # noqa: E402,F401
    Answer,
    Question,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireResponse,
)
