"""Users, roles, wards and the records every app shares: access log, notifications, activity."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.identifiers import SearchTextField
from portal.localcontent import EnglishContent
from portal.locking import Versioned


class Ward(models.Model):
    """One of Tokyo's 23 special wards (特別区)."""

    code = models.CharField(_("団体コード（5桁）"), max_length=5, unique=True)
    code_with_check_digit = models.CharField(_("全国地方公共団体コード"), max_length=6, unique=True)
    name_ja = models.CharField(_("区名"), max_length=20, unique=True)
    name_kana = models.CharField(_("よみがな"), max_length=40)
    name_en = models.CharField(_("英語名"), max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区")
        verbose_name_plural = _("区")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The name in the active language: 千代田区, or Chiyoda in the English UI."""
        from portal.fiscal import english

        return self.name_en if english() and self.name_en else self.name_ja


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("地域連携コーディネーター")
    APPROVER = "approver", _("承認者（担当課職員）")
    EVALUATOR = "evaluator", _("評価担当")
    ADMIN = "admin", _("管理者")
    PARTNER = "partner", _("企業・大学の担当者")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.APPROVER, Role.EVALUATOR, Role.ADMIN})


class User(AbstractUser):
    # Django's own name for it, ユーザー名 in its Japanese catalogue (the login error says so),
    # is ログインID everywhere else in the portal: one term for one field.
    username = models.CharField(
        _("ログインID"),
        max_length=150,
        unique=True,
        help_text=_("150文字以内。英数字と @ . + - _ が使えます。"),
        validators=[UnicodeUsernameValidator()],
        error_messages={"unique": _("このログインIDは既に使われています。")},
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.PARTNER)
    ward = models.ForeignKey(
        Ward,
        verbose_name=_("所属区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("職員の所属区。管理者と評価担当は全区を扱います。"),
    )
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    department = models.CharField(
        _("所属部署"),
        max_length=100,
        blank=True,
        help_text=_("職員の課・係。提案を受けた団体に区の連絡先として表示されます。"),
    )
    # NoticeKind values this person does not want by mail (in-app notices always arrive).
    mail_muted = models.JSONField(_("メールで受け取らないお知らせ"), default=list, blank=True)
    # The language this person's mails and notices are written in, whoever's action sent them
    # (portal.mail.language_for); blank is the portal's own language (LANGUAGE_CODE).
    language = models.CharField(
        _("メールとお知らせの言語"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("空欄のときはポータルの標準（日本語）で届きます。"),
    )

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_ward_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def sees_all_wards(self) -> bool:
        return self.role in {Role.ADMIN, Role.EVALUATOR}


class AccessLog(models.Model):
    """Append-only record of logins, refusals and views/exports of personal data."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("ログイン")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOGIN_THROTTLED = "login_throttled", _("ログイン制限")
        LOGIN_LOCKOUT = "login_lockout", _("ログインのロック")
        LOGOUT = "logout", _("ログアウト")
        DENIED = "denied", _("アクセス拒否")
        VIEW_PERSONAL = "view_personal", _("個人情報の閲覧")
        EXPORT = "export", _("エクスポート")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    path = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("アクセスログ")
        verbose_name_plural = _("アクセスログ")

    def save(self, *args, **kwargs) -> None:
        # Append-only: an existing entry is never rewritten.
        if self.pk is not None:
            raise ValueError("AccessLog entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("AccessLog entries are append-only")


class NoticeKind(models.TextChoices):
    """What a notice is about: each person chooses which kinds also come by mail."""

    PROPOSAL = "proposal", _("連携の提案と回答")
    EVENT = "event", _("イベントの招待と変更")
    REMINDER = "reminder", _("回答期限・申込締切のお知らせ")
    REVIEW = "review", _("団体の審査結果")
    MESSAGE = "message", _("メッセージ")
    GENERAL = "general", _("その他のお知らせ")


class Notification(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    # The Japanese text (search, the admin, notices from before `text` existed) …
    message = models.CharField(_("内容"), max_length=300)
    # … and the msgid with its parameters (portal.localtext.LocalText.stored()), so that a
    # notice is shown in the reader's language rather than in that of whoever caused it.
    text = models.JSONField(default=dict, blank=True)
    url = models.CharField(_("リンク"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        verbose_name = _("お知らせ")
        verbose_name_plural = _("お知らせ")

    def __str__(self) -> str:
        return self.message

    @property
    def local_message(self) -> str:
        """The notice in the active language (the stored Japanese text for an old notice)."""
        from portal.localtext import LocalText

        return str(LocalText.from_stored(self.text)) if self.text else self.message


class MailLog(models.Model):
    """One message to one address: queued by portal.mail.mail_send, settled by its task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信失敗")

    to = models.EmailField(_("宛先"))
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("種類"), max_length=20, choices=NoticeKind.choices)
    subject = models.CharField(_("件名"), max_length=200)
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    error = models.CharField(_("エラー"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    # The folded address and subject the mail log's search box matches (portal.identifiers),
    # like the issue and registry searches: ＴＡＮＡＫＡ or ﾒｰﾙ find tanaka and メール.
    search_text = SearchTextField(sources=("to", "subject"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("メール送信記録")
        verbose_name_plural = _("メール送信記録")

    def __str__(self) -> str:
        return f"{self.to} {self.subject}"


class DailyActivity(models.Model):
    """That a user was active on a day — no content — for monthly-active-user figures."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="unique_activity_day")]


class HealthCheck(models.Model):
    """The platform's own periodic probe; availability is the share of probes that passed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    database_ok = models.BooleanField()
    broker_ok = models.BooleanField()
    worker_ok = models.BooleanField()

    class Meta:
        ordering = ["-at"]

    @property
    def ok(self) -> bool:
        return self.database_ok and self.broker_ok and self.worker_ok


class Field(models.Model):
    """分野: the editable list of policy fields shared by issues, resources and reports."""

    name = models.CharField(_("分野名"), max_length=50, unique=True)
    name_en = models.CharField(_("英語名"), max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("分野")
        verbose_name_plural = _("分野")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The name in the active language: 高齢者支援, or its English name in the English UI."""
        from portal.fiscal import english

        return self.name_en if english() and self.name_en else self.name


# ---------------------------------------------------------------------------------------------
# Coordinator system (連携コーディネーター制度), training, self-assessment, help centre, 相談
# ---------------------------------------------------------------------------------------------


class CoordinatorBackground(models.TextChoices):
    COMPANY = "company", _("民間企業")
    UNIVERSITY = "university", _("大学")
    NPO = "npo", _("NPO")
    GOVERNMENT = "government", _("行政")
    OTHER = "other", _("その他")


class CertificationLevel(models.TextChoices):
    NONE = "none", _("未認定")
    BASIC = "basic", _("初級")
    INTERMEDIATE = "intermediate", _("中級")
    ADVANCED = "advanced", _("上級")


class CoordinatorProfile(models.Model):
    """連携コーディネーター: a staff user with wards, background, certification and specialities."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="coordinator_profile")
    wards = models.ManyToManyField(Ward, verbose_name=_("担当区"), blank=True, related_name="+")
    background = models.CharField(
        _("経歴"),
        max_length=20,
        choices=CoordinatorBackground.choices,
        default=CoordinatorBackground.GOVERNMENT,
    )
    certification_level = models.CharField(
        _("認定レベル"),
        max_length=20,
        choices=CertificationLevel.choices,
        default=CertificationLevel.NONE,
    )
    certified_on = models.DateField(_("認定日"), null=True, blank=True)
    specialities = models.ManyToManyField(
        Field, verbose_name=_("専門分野"), blank=True, related_name="+"
    )
    introduction = models.TextField(_("自己紹介"), blank=True, max_length=2000)
    active = models.BooleanField(_("活動中"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("コーディネーター")
        verbose_name_plural = _("コーディネーター")

    def __str__(self) -> str:
        return str(self.user)


class TrainingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("集合")
    ONLINE = "online", _("オンライン")
    ELEARNING = "elearning", _("eラーニング")


class TrainingSession(models.Model):
    """研修: one session of collaboration training."""

    topic = models.CharField(_("テーマ"), max_length=200)
    held_on = models.DateField(_("実施日"), db_index=True)
    format = models.CharField(
        _("形式"), max_length=20, choices=TrainingFormat.choices, default=TrainingFormat.IN_PERSON
    )
    hours = models.DecimalField(_("時間数"), max_digits=4, decimal_places=1, default=2)
    description = models.TextField(_("内容"), blank=True, max_length=3000)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("研修")
        verbose_name_plural = _("研修")

    def __str__(self) -> str:
        return self.topic


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_attendances")
    completed = models.BooleanField(_("修了"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="unique_training_attendance")
        ]
        verbose_name = _("研修の出席")
        verbose_name_plural = _("研修の出席")


class NetworkMeeting(models.Model):
    """情報交換会: coordinators and ward staff exchanging experience, with minutes."""

    title = models.CharField(_("名称"), max_length=200)
    held_on = models.DateField(_("開催日"), db_index=True)
    ward = models.ForeignKey(
        Ward, verbose_name=_("会場の区"), null=True, blank=True, on_delete=models.PROTECT
    )
    participants = models.PositiveIntegerField(_("参加者数"), default=0)
    minutes = models.TextField(_("議事録"), blank=True, max_length=10000)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("情報交換会")
        verbose_name_plural = _("情報交換会")

    def __str__(self) -> str:
        return self.title


class SkillLevel(models.TextChoices):
    INSUFFICIENT = "insufficient", _("不足")
    SOMEWHAT = "somewhat", _("やや不足")
    MOSTLY = "mostly", _("概ね十分")
    SUFFICIENT = "sufficient", _("十分")


class SkillSelfAssessment(models.Model):
    """A staff member's own rating of their collaboration skills, once per fiscal year."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="self_assessments")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    level = models.CharField(_("連携スキルの自己評価"), max_length=20, choices=SkillLevel.choices)
    comment = models.TextField(_("コメント"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-fiscal_year", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fiscal_year"], name="unique_self_assessment_per_year"
            )
        ]
        verbose_name = _("スキル自己評価")
        verbose_name_plural = _("スキル自己評価")


class FaqCategory(models.Model):
    name = models.CharField(_("カテゴリ名"), max_length=100, unique=True)
    name_en = models.CharField(_("カテゴリ名（英語）"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("FAQカテゴリ")
        verbose_name_plural = _("FAQカテゴリ")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The name in the active language: the English name in the English UI when there is one
        (as Ward.local_name and Field.local_name), else the Japanese."""
        from portal.fiscal import english

        return self.name_en if english() and self.name_en else self.name

    @property
    def language(self) -> str:
        """The language `local_name` is written in ("en" or "ja"), for the element's lang."""
        from portal.fiscal import english

        return "en" if english() and self.name_en else "ja"


class FaqEntry(EnglishContent, Versioned):
    ENGLISH = {"question": "question_en", "answer": "answer_en"}

    category = models.ForeignKey(
        FaqCategory, verbose_name=_("カテゴリ"), on_delete=models.PROTECT, related_name="entries"
    )
    question = models.CharField(_("質問"), max_length=300)
    answer = models.TextField(_("回答"), max_length=5000)
    question_en = models.CharField(
        _("質問（英語）"),
        max_length=300,
        blank=True,
        help_text=_("英語表示のときに質問と回答の代わりに表示します（両方を入力してください）。"),
    )
    answer_en = models.TextField(_("回答（英語）"), max_length=5000, blank=True)
    keywords = models.CharField(
        _("キーワード"),
        max_length=300,
        blank=True,
        help_text=_("言い換え・関連語（検索と自動回答に使います）"),
    )
    published = models.BooleanField(_("公開"), default=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["category__order", "order", "pk"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQ")

    def __str__(self) -> str:
        return self.question


class UnansweredQuestion(models.Model):
    """A question the FAQ assistant could not answer, kept for staff to turn into an entry."""

    text = models.CharField(_("質問"), max_length=500)
    # The question folded (width, case, spaces, punctuation): a repeat counts up, not a new row.
    key = models.CharField(max_length=500, blank=True, db_index=True)
    times_asked = models.PositiveIntegerField(_("質問された回数"), default=1)
    best_score = models.FloatField(_("最も近い回答の類似度"), default=0)
    # The latest time it was asked: a repeated question rises to the top of the staff queue.
    asked_at = models.DateTimeField(default=timezone.now, db_index=True)
    faq_entry = models.ForeignKey(
        FaqEntry,
        verbose_name=_("作成したFAQ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed = models.BooleanField(_("対応不要"), default=False)

    class Meta:
        ordering = ["-asked_at"]
        verbose_name = _("未回答の質問")
        verbose_name_plural = _("未回答の質問")

    def __str__(self) -> str:
        return self.text


class ConsultationTopic(models.TextChoices):
    START = "start", _("連携の始め方")
    ISSUE = "issue", _("地域課題の相談")
    RESOURCE = "resource", _("リソース・団体登録")
    EVENT = "event", _("イベント")
    OTHER = "other", _("その他")


class ConsultationStatus(models.TextChoices):
    RECEIVED = "received", _("受付")
    IN_PROGRESS = "in_progress", _("対応中")
    DONE = "done", _("完了")


class ConsultationRequest(models.Model):
    """相談: from anyone (an SME, a resident group), routed to a coordinator of the ward.

    Its 受付番号 (portal.bookings) is given on the first save, however the request is made.
    """

    receipt_number = models.CharField(_("受付番号"), max_length=12, unique=True, editable=False)
    name = models.CharField(_("お名前"), max_length=100)
    organization = models.CharField(_("団体名"), max_length=200, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    topic = models.CharField(_("相談の種類"), max_length=20, choices=ConsultationTopic.choices)
    ward = models.ForeignKey(
        Ward, verbose_name=_("区"), null=True, blank=True, on_delete=models.PROTECT
    )
    message = models.TextField(_("相談内容"), max_length=5000)
    status = models.CharField(
        _("状態"),
        max_length=20,
        choices=ConsultationStatus.choices,
        default=ConsultationStatus.RECEIVED,
        db_index=True,
    )
    assigned_to = models.ForeignKey(
        User,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The language the request was written in: its mails are written in it too.
    language = models.CharField(max_length=8, blank=True, editable=False)
    # When name, contact and message were erased after the retention period (portal.retention).
    erased_at = models.DateTimeField(_("個人情報の消去日時"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("相談")
        verbose_name_plural = _("相談")

    def __str__(self) -> str:
        return f"{self.requester} {self.get_topic_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self.receipt_number:
            from portal.bookings import receipt_number_free

            self.receipt_number = receipt_number_free(ConsultationRequest, "receipt_number")
        super().save(*args, **kwargs)

    @property
    def requester(self) -> str:
        """Who asked, as staff read it: the name, or a marker once erased (portal.retention)."""
        if self.erased_at is not None:
            from portal.retention import ERASED

            return str(ERASED)
        return self.name


class ConsultationNote(models.Model):
    request = models.ForeignKey(ConsultationRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("対応メモ"), max_length=3000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class SubmissionReceipt(models.Model):
    """A create that has happened once: the form token (or a device's idempotency key) it used.

    Written in the same transaction as the record it stands for, so a second submission of
    the same token finds it and is shown that record instead of creating another.
    """

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    result_url = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True)
    # A digest of what was sent with the key (a device's batch): the same key with other
    # content is refused, not answered as a replay of the first (portal.once.receipt_claim).
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="unique_submission_receipt")
        ]
        verbose_name = _("送信の受領記録")
        verbose_name_plural = _("送信の受領記録")

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}…"


# Kept in their own modules; imported here so the app label stays "portal".
from portal.coordinators.models import Certification  # noqa: E402,F401
from portal.imports.models import ImportJob  # noqa: E402,F401
from portal.support.advice.models import AdviceBooking, AdviceFormat, AdviceSlot  # noqa: E402,F401
from portal.textengine.models import TextEmbedding  # noqa: E402,F401
