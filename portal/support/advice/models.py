"""個別相談会 (advice sessions): the slots coordinators publish and the bookings made on them.

Imported at the end of portal/models.py so the app label stays "portal".
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AdviceFormat(models.TextChoices):
    ON_SITE = "onsite", _("会場")
    ONLINE = "online", _("オンライン")


DURATION_CHOICES = [
    (30, _("30分")),
    (45, _("45分")),
    (60, _("60分")),
    (90, _("90分")),
]


class AdviceSlot(models.Model):
    """One appointment a coordinator offers: a time, a length, on site (a place) or online."""

    ward = models.ForeignKey(
        "portal.Ward", verbose_name=_("区"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("開始日時"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("時間"), choices=DURATION_CHOICES, default=60
    )
    format = models.CharField(
        _("開催形式"), max_length=10, choices=AdviceFormat.choices, default=AdviceFormat.ON_SITE
    )
    place = models.CharField(_("会場"), max_length=200, blank=True)
    meeting_url = models.URLField(
        _("オンライン相談のURL"),
        blank=True,
        help_text=_("予約した方にだけメールでお知らせします。"),
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当コーディネーター"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="advice_slots",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("個別相談会の枠")
        verbose_name_plural = _("個別相談会の枠")

    def __str__(self) -> str:
        return f"{self.ward} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.duration_minutes)

    @property
    def when(self) -> str:
        """The Tokyo date with weekday and the times, in the active language."""
        from portal.bookings import when_text

        return when_text(self.starts_at, self.ends_at)

    @property
    def where(self) -> str:
        """The place, as public pages show it ("" online: the URL goes to the booker only)."""
        return "" if self.format == AdviceFormat.ONLINE else self.place


class AdviceBooking(models.Model):
    """A consultation request's booking of a slot. One live booking per slot and per request
    (a cancelled one frees the slot: the unique constraints count live bookings only)."""

    slot = models.ForeignKey(AdviceSlot, on_delete=models.PROTECT, related_name="bookings")
    consultation = models.ForeignKey(
        "portal.ConsultationRequest", on_delete=models.CASCADE, related_name="advice_bookings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=models.Q(cancelled_at__isnull=True),
                name="one_live_booking_per_slot",
            ),
            models.UniqueConstraint(
                fields=["consultation"],
                condition=models.Q(cancelled_at__isnull=True),
                name="one_live_booking_per_consultation",
            ),
        ]
        verbose_name = _("個別相談会の予約")
        verbose_name_plural = _("個別相談会の予約")
