"""Users, roles, wards and the records every app shares: access log, notifications, activity."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
        return self.name_ja


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("地域連携コーディネーター")
    APPROVER = "approver", _("承認者（担当課職員）")
    EVALUATOR = "evaluator", _("評価担当")
    ADMIN = "admin", _("管理者")
    PARTNER = "partner", _("企業・大学の担当者")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.APPROVER, Role.EVALUATOR, Role.ADMIN})


class User(AbstractUser):
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


class Notification(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(_("内容"), max_length=300)
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
        return self.name
