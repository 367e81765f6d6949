from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from matching.models import (
    Candidate,
    Decision,
    EngineVersion,
    ExposureLog,
    MatchingSettings,
    MatchRun,
    Proposal,
)
from matching.projects.models import Project


@admin.register(EngineVersion)
class EngineVersionAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "index_hash", "document_count", "fit_seconds")
    exclude = ("index_blob", "vectors_blob")
    readonly_fields = ("index_hash", "document_count", "fit_seconds", "ranker", "validation")


@admin.register(MatchingSettings)
class MatchingSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "text", "field", "top_k", "use_learned", "updated_at", "updated_by")


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "scope", "issue", "status", "chunks_done", "chunks_total", "created_at")
    list_filter = ("status", "scope")
    raw_id_fields = ("issue", "started_by", "engine_version")


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("issue", "resource", "rank", "score", "verdict", "shortlisted", "current")
    list_filter = ("verdict", "shortlisted", "current")
    raw_id_fields = ("issue", "resource", "run")


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = (
        "issue",
        "resource",
        "verdict",
        "reason",
        "shown_rank",
        "decided_by",
        "decided_at",
    )
    list_filter = ("verdict",)
    raw_id_fields = ("issue", "resource", "candidate", "decided_by")


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ("issue", "organization", "status", "deadline", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("issue", "resource", "organization", "decision", "created_by")


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ("title", "status", "start_date", "end_date", "ward", "field")
    list_filter = ("status", "ward", "field")
    raw_id_fields = ("proposal", "resource", "coordinator")
    filter_horizontal = ("issues", "organizations")


@admin.register(ExposureLog)
class ExposureLogAdmin(admin.ModelAdmin):
    list_display = ("organization", "kind", "count", "run", "created_at")
    list_filter = ("kind",)
