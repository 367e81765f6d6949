"""An import run by a task: the check of a large upload (a preview) or a confirmed import; its
row is what the progress page shows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        ISSUES = "issues", _("課題")
        RESOURCES = "resources", _("リソース")
        # A project's indicator measurements (evaluation): imported at once, no preview step.
        MEASUREMENTS = "measurements", _("指標の実測値")

    class Mode(models.TextChoices):
        # A preview checks every row and writes nothing; its outcome is kept in `preview`.
        PREVIEW = "preview", _("確認")
        IMPORT = "import", _("取り込み")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        READING = "reading", _("ファイルを読み込み中")
        CHECKING = "checking", _("全行を確認中")
        WRITING = "writing", _("確認して書き込み中")
        SUCCEEDED = "succeeded", _("完了")
        FAILED = "failed", _("失敗")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IMPORT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    # The language of the screen that started the job: its messages are written in it.
    language = models.CharField(max_length=8, blank=True)
    # An import: the pending upload moved out of the preview sweep's reach (portal.uploads),
    # removed when the job ends, whatever the outcome. A preview: the session's pending upload
    # itself (the one its confirm form names), removed when the check fails, on confirm or
    # cancel, or by the preview sweep after PENDING_MAX_AGE_SECONDS.
    file_name = models.CharField(max_length=32, blank=True)
    # The record the rows are added to, for a kind that has one (measurements: the project's
    # id); a plain id, because the ground floor may not know the apps' models.
    subject = models.PositiveIntegerField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    organizations_created = models.PositiveIntegerField(default=0)
    # At most ERRORS_SHOWN messages and the count of the rest (portal.tabular): a page stays short.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # A finished preview's outcome (portal.imports.services.Preview.as_json): counts, the first
    # rows and the ignored columns; empty for an import.
    preview = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many times the job was sent to a worker (the first send counts), and when it was last
    # sent again by portal.imports.services.import_jobs_resume.
    attempts = models.PositiveSmallIntegerField(default=1)
    # The Celery task that runs this kind of import (named by the app that owns the kind), so
    # the resume sweep on the ground floor can send it again without importing that app.
    task_name = models.CharField(max_length=200, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_cache_key(self) -> str:
        """Where a running job publishes its rows done (portal.imports.services)."""
        return f"imports:job:{self.pk}:rows-done"

    @property
    def percent(self) -> int:
        """0–100 for the progress bar: the phase (see portal.imports.services), and within
        writing the share of rows done (40 % → 95 %; 100 % only when the job has ended)."""
        if self.status == self.Status.WRITING and self.rows_total:
            return 40 + 55 * min(self.rows_done, self.rows_total) // self.rows_total
        steps = {
            self.Status.QUEUED: 0,
            self.Status.READING: 10,
            self.Status.CHECKING: 40,
            self.Status.WRITING: 40,
            self.Status.SUCCEEDED: 100,
            self.Status.FAILED: 100,
        }
        return steps.get(self.Status(self.status), 0)

    @property
    def screen(self) -> str:
        """The URL name of this kind's import screen (where a finished preview is shown)."""
        return {self.Kind.ISSUES: "issues:import", self.Kind.RESOURCES: "partners:import"}[
            self.Kind(self.kind)
        ]
