"""Open calls (募集): an issue published to partners with a deadline and selection criteria.

Imported at the end of matching/models.py so Django sees the model as part of the app. Other
models are referenced by label to keep this module free of import cycles.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OpenCall(models.Model):
    """An issue's call for proposals (公募), in the way of Urban Innovation JAPAN's calls.

    One per issue: publishing again changes its deadline and criteria (kept in history).
    Proposals are accepted up to and including `deadline`, a date in Asia/Tokyo.
    """

    issue = models.OneToOneField(
        "issues.Issue",
        verbose_name=_("地域課題"),
        on_delete=models.CASCADE,
        related_name="open_call",
    )
    deadline = models.DateField(_("提案の締切日"))
    criteria = models.TextField(_("選考基準"), max_length=3000)
    published_at = models.DateTimeField(_("公開日時"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("募集")
        verbose_name_plural = _("募集")

    def __str__(self) -> str:
        return f"{self.issue_id} 〆{self.deadline:%Y-%m-%d}"

    def is_closed(self, today: datetime.date | None = None) -> bool:
        """True once the Tokyo date is past the deadline (the deadline day itself is open)."""
        return (today or timezone.localdate()) > self.deadline


def open_call_of(issue) -> OpenCall | None:
    """The issue's open call or None (no query when it was read with select_related)."""
    try:
        return issue.open_call
    except OpenCall.DoesNotExist:
        return None
