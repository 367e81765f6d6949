"""Matching runs, ranked candidates, staff decisions, proposals and collaboration projects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from issues.models import Issue, IssueStatus
from matching.rules import DEFAULT_WEIGHTS
from partners.models import Organization, Resource
from portal.locking import Versioned

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EngineVersion(models.Model):
    """A fitted TF-IDF index and ranker, stored where every worker can load it."""

    created_at = models.DateTimeField(auto_now_add=True)
    index_blob = models.BinaryField()
    index_hash = models.CharField(max_length=64)
    ranker = models.JSONField(null=True, blank=True)
    validation = models.JSONField(default=dict, blank=True)
    document_count = models.PositiveIntegerField(default=0)
    # Pre-computed TF-IDF rows of the corpus the index was fitted on (numpy .npz bytes), so a
    # chunk task multiplies matrices instead of tokenising every resource again.
    vectors_blob = models.BinaryField(default=b"")
    weights = models.JSONField(default=dict, blank=True)
    fit_seconds = models.FloatField(default=0)
    # Metadata suggestions trained with this version (matching.engine.suggest): the pickled
    # classifiers, and their held-out figures for the engine screen.
    suggester_blob = models.BinaryField(default=b"")
    suggester_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"v{self.pk} ({self.index_hash})"


class MatchingSettings(Versioned):
    """Hand weights of the cold-start score; one row, edited by staff on the engine screen."""

    text = models.FloatField(_("本文の類似度"), default=DEFAULT_WEIGHTS["text"])
    semantic = models.FloatField(
        _("意味の近さ"),
        default=DEFAULT_WEIGHTS["semantic"],
        help_text=_("埋め込みモデルがない環境では「本文の類似度」に加算されます。"),
    )
    field = models.FloatField(_("分野の一致"), default=DEFAULT_WEIGHTS["field"])
    sdg = models.FloatField(_("SDGsの重なり"), default=DEFAULT_WEIGHTS["sdg"])
    kind = models.FloatField(_("求めるリソースの種類"), default=DEFAULT_WEIGHTS["kind"])
    same_ward = models.FloatField(_("同じ区"), default=DEFAULT_WEIGHTS["same_ward"])
    adjacent_ward = models.FloatField(_("隣接する区"), default=DEFAULT_WEIGHTS["adjacent_ward"])
    track_record = models.FloatField(_("この分野の実績"), default=DEFAULT_WEIGHTS["track_record"])
    top_k = models.PositiveSmallIntegerField(_("課題ごとの候補数"), default=10)
    use_learned = models.BooleanField(
        _("学習したランキングを使う"),
        default=True,
        help_text=_("検証で手動の重みより良い場合だけ使われます。"),
    )
    exposure_cap = models.PositiveSmallIntegerField(
        _("1団体の表示割合の上限（%）"),
        default=0,
        help_text=_(
            "全課題の上位5件の枠のうち、1つの団体が占められる割合です。0 は上限なし。"
            "上限を超えた団体のリソースは、差が最も小さい課題から順に次点の他団体の下へ移ります。"
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("マッチングの重み")
        verbose_name_plural = _("マッチングの重み")


class MatchRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("実行中")
        SUCCEEDED = "succeeded", _("完了")
        FAILED = "failed", _("失敗")

    class Scope(models.TextChoices):
        ALL = "all", _("全件")
        ISSUE = "issue", _("課題1件")

    key = models.CharField(max_length=64, unique=True, help_text="idempotency key")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    issue = models.ForeignKey(Issue, null=True, blank=True, on_delete=models.CASCADE)
    engine_version = models.ForeignKey(
        EngineVersion, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the sweeper last sent an idle run's work again (see match_runs_resume).
    resumed_at = models.DateTimeField(null=True, blank=True)
    candidate_count = models.PositiveIntegerField(default=0)
    # What the exposure cap did when the run finished (matching.runs.services.exposure_cap_apply):
    # the cap, moves, top-10 % share and ranking quality with the cap off and on. {} when off.
    cap_effect = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_scope_display()} {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.chunks_total:
            return 100 if self.status == self.Status.SUCCEEDED else 0
        return round(100 * self.chunks_done / self.chunks_total)


class MatchChunk(models.Model):
    """One chunk of a run; marks it done exactly once, so a redelivered task is not counted twice."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    issue_ids = models.JSONField(default=list)
    # Deliveries that began: more than 1 means a worker, the broker or the database failed
    # mid-chunk and the task was delivered again.
    attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_run_chunk"),
        ]


class Candidate(Versioned):
    """A ranked resource for an issue, with the explanation shown to staff."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="candidates")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="candidates")
    run = models.ForeignKey(MatchRun, null=True, on_delete=models.SET_NULL, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    components = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    shortlisted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The latest staff verdict on this pair ("" = awaiting review); the full trail is Decision.
    verdict = models.CharField(max_length=10, blank=True, db_index=True)
    # False when the latest run no longer ranks the pair but staff had already acted on it.
    current = models.BooleanField(default=True)

    # Not columns: matching.views sets these on the candidates it renders (annotations only).
    view: dict[str, Any]
    bar: int
    last_decision: Decision | None
    verdict_label: StrOrPromise
    reason_label: StrOrPromise
    offered: bool

    class Meta:
        ordering = ["issue", "rank"]
        indexes = [models.Index(fields=["issue", "current", "rank"])]
        constraints = [
            models.UniqueConstraint(fields=["issue", "resource"], name="unique_candidate_pair")
        ]


class Decision(models.Model):
    class Verdict(models.TextChoices):
        APPROVED = "approved", _("承認")
        REQUESTED = "requested", _("承認依頼")
        REJECTED = "rejected", _("却下")
        HELD = "held", _("保留")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="decisions")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="decisions")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    shown_rank = models.PositiveSmallIntegerField(null=True)
    shown_score = models.FloatField(null=True)
    features = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    # Set when the verdict was on a partner's own proposal (逆プロポ) rather than on a candidate
    # the engine ranked; the training signal is the same pair either way.
    partner_proposal = models.ForeignKey(
        "matching.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_decisions",
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]


class Proposal(models.Model):
    """A proposed pairing of an issue and an organisation, from either side.

    The ward proposes (origin "ward"): staff approved a candidate, the organisation answers
    (回答待ち → 受諾 / 辞退 / 期限切れ). An organisation proposes (origin "partner", 逆プロポ): a
    member submits an interest or a proposal to an open issue, staff decide it with the review
    flow (審査中 → 受諾 / 見送り). Either way an accepted proposal becomes a project.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("回答待ち")
        ACCEPTED = "accepted", _("受諾")
        DECLINED = "declined", _("辞退")
        EXPIRED = "expired", _("期限切れ")
        SUBMITTED = "submitted", _("審査中")
        REJECTED = "rejected", _("見送り")
        # The issue stopped taking proposals while this one was open (issues.workflow).
        CLOSED = "closed", _("受付終了")

    class Origin(models.TextChoices):
        WARD = "ward", _("区からの提案")
        PARTNER = "partner", _("団体からの提案")

    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("提案")
        INTEREST = "interest", _("関心表明")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="proposals")
    # The resource the pair is about (for a partner's proposal: the first of `resources`).
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="proposals")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="proposals"
    )
    decision = models.OneToOneField(Decision, null=True, on_delete=models.SET_NULL)
    # The ward's message to the organisation, or what the organisation offers (partner origin).
    message = models.TextField(blank=True, max_length=3000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SENT, db_index=True
    )
    origin = models.CharField(
        _("提案元"), max_length=10, choices=Origin.choices, default=Origin.WARD, db_index=True
    )
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.PROPOSAL)
    # Partner origin only: every resource the offer involves (all of the proposing organisation).
    resources = models.ManyToManyField(
        Resource, verbose_name=_("関わるリソース"), blank=True, related_name="+"
    )
    period_start = models.DateField(_("実施期間（開始）"), null=True, blank=True)
    period_end = models.DateField(_("実施期間（終了）"), null=True, blank=True)
    public_cost = models.PositiveBigIntegerField(_("区に求める費用（円）"), default=0)
    partner_cost = models.PositiveBigIntegerField(_("団体の負担（円）"), default=0)
    in_kind_value = models.PositiveBigIntegerField(_("現物提供の評価額（円）"), default=0)
    open_call = models.ForeignKey(
        "matching.OpenCall",
        verbose_name=_("募集"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    # The latest staff verdict on a partner's proposal ("" = not yet reviewed; see Decision).
    verdict = models.CharField(max_length=10, blank=True, db_index=True)
    # Ward origin: the organisation's answer is due by this Tokyo date. Partner origin: the
    # date by which the ward means to answer (a guide shown to the partner, not enforced).
    deadline = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    response_reason = models.TextField(blank=True, max_length=2000)
    responded_at = models.DateTimeField(null=True, blank=True)
    # 受付終了 only: the issue status that closed it and when (the reason both sides read).
    closed_by_issue_status = models.CharField(
        _("受付終了時の課題の状態"), max_length=20, choices=IssueStatus.choices, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("提案")
        verbose_name_plural = _("提案")

    def __str__(self) -> str:
        return f"{self.issue} → {self.organization}"

    @property
    def from_partner(self) -> bool:
        return self.origin == self.Origin.PARTNER

    @property
    def closed_reason(self) -> str:
        """Why a 受付終了 proposal takes no answer, in the reader's language ("" otherwise)."""
        if self.status != self.Status.CLOSED:
            return ""
        return gettext("課題が「%(status)s」になったため、この提案の受付を終了しました。") % {
            "status": self.get_closed_by_issue_status_display()
        }


class ExposureLog(models.Model):
    """How often an organisation was shown in a top 5 (per run chunk) or proposed (per proposal)."""

    class Kind(models.TextChoices):
        SHOWN = "shown", _("上位5件に表示")
        PROPOSED = "proposed", _("提案")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    count = models.PositiveIntegerField(default=1)
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.CASCADE)
    chunk = models.PositiveIntegerField(null=True, blank=True)
    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "created_at"])]


# Django discovers an app's models through its models module: the concept packages' models
# are imported here so that they belong to the matching app (same tables, no migration).
from matching.calls.models import OpenCall  # noqa: E402,F401
from matching.conversations.models import (  # noqa: E402,F401
    Attachment,
    Message,
    Thread,
    ThreadRead,
)
from matching.events.models import Event, EventPair, EventTheme, Invitation  # noqa: E402,F401
from matching.projects.models import (  # noqa: E402,F401
    CoordinatorBudget,
    ExternalSupport,
    Grant,
    ProgressReport,
    Project,
    ProjectContribution,
    ProjectDocument,
    ProjectProblem,
    ProjectStatusChange,
)
