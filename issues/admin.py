from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from issues import services
from issues.models import Issue, IssueLink, PriorityWeights
from issues.resources import IssueResource
from portal.admin_audit import AuditedExportMixin


@admin.register(Issue)
class IssueAdmin(AuditedExportMixin, SimpleHistoryAdmin):
    resource_classes = [IssueResource]
    list_display = ("ref", "title", "ward", "field", "status", "priority", "coordinator")
    list_filter = ("status", "field", "ward")
    search_fields = ("ref", "title")
    readonly_fields = ("priority", "version", "created_at", "updated_at", "status_changed_at")
    raw_id_fields = ("coordinator", "created_by")


@admin.register(PriorityWeights)
class PriorityWeightsAdmin(SimpleHistoryAdmin):
    list_display = ("urgency_weight", "importance_weight", "ease_weight", "updated_at")

    def save_model(self, request, obj, form, change):
        # Through the service, so every issue's priority follows the new weights.
        row = services.priority_weights_update(
            urgency_weight=obj.urgency_weight,
            importance_weight=obj.importance_weight,
            ease_weight=obj.ease_weight,
            updated_by=request.user,
        )
        obj.pk = row.pk

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not PriorityWeights.objects.exists()


@admin.register(IssueLink)
class IssueLinkAdmin(SimpleHistoryAdmin):
    list_display = ("from_issue", "to_issue", "kind", "similarity", "created_at")
    raw_id_fields = ("from_issue", "to_issue", "created_by")
