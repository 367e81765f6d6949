"""Conversations: one thread per proposal and per project between the ward and the organisation.

Imported at the end of matching/models.py so Django sees these models as part of the app.
Other models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.attachments import attachment_upload_to, private_storage


class Thread(models.Model):
    """The conversation about exactly one proposal or one project (created with its first
    message). Its parties: the ward's staff of the subject's ward (any ward's staff when the
    subject has none) and admins, and the members of the subject's organisation(s)."""

    proposal = models.OneToOneField(
        "matching.Proposal", null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    project = models.OneToOneField(
        "matching.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False, project__isnull=True)
                | Q(proposal__isnull=True, project__isnull=False),
                name="thread_has_one_subject",
            )
        ]
        verbose_name = _("やりとり")
        verbose_name_plural = _("やりとり")

    def __str__(self) -> str:
        return f"thread {self.pk} ({'proposal' if self.proposal_id else 'project'})"


class Side(models.TextChoices):
    WARD = "ward", _("区")
    PARTNER = "partner", _("団体")


class Message(models.Model):
    """One message; never edited or deleted through the portal (the history keeps its row)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The side the author wrote for, fixed when written (a later role change does not move it).
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(_("本文"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("メッセージ")
        verbose_name_plural = _("メッセージ")

    def __str__(self) -> str:
        return f"message {self.pk} in thread {self.thread_id}"


class Attachment(models.Model):
    """A file attached to a message, checked by content (portal.attachments) and stored where
    no URL reaches it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_upload_to)
    name = models.CharField(_("ファイル名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.name


class ThreadRead(models.Model):
    """How far one person has read one thread: every message up to `last_message_id`."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_message_id = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="unique_thread_read")
        ]
