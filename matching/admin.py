from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from matching.models import (
    Attachment,
    Candidate,
    Decision,
    EngineVersion,
    ExposureLog,
    MatchingSettings,
    MatchRun,
    Message,
    OpenCall,
    Proposal,
    Thread,
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
    list_display = ("issue", "organization", "origin", "status", "deadline", "created_at")
    list_filter = ("status", "origin")
    raw_id_fields = ("issue", "resource", "organization", "decision", "created_by", "open_call")
    filter_horizontal = ("resources",)


@admin.register(OpenCall)
class OpenCallAdmin(SimpleHistoryAdmin):
    list_display = ("issue", "deadline", "published_at", "published_by")
    raw_id_fields = ("issue", "published_by")


# Conversations are read-only here: messages are never edited; the history keeps every row.
@admin.register(Thread)
class ThreadAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "proposal", "project", "last_message_at")
    raw_id_fields = ("proposal", "project")

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "thread", "author", "side", "created_at")
    list_filter = ("side",)
    raw_id_fields = ("thread", "author")

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "message", "content_type", "size")
    raw_id_fields = ("message",)
    exclude = ("file",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
