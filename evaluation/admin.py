from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evaluation import models


@admin.register(models.IndicatorDefinition)
class IndicatorDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "field", "level", "kind", "term", "unit", "baseline", "target"]
    list_filter = ["field", "level", "kind", "term"]
    search_fields = ["name"]


@admin.register(models.ProjectIndicator)
class ProjectIndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "level", "kind", "unit", "target"]
    list_select_related = ["project"]
    search_fields = ["name", "project__title"]


@admin.register(models.Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    list_display = ["indicator", "measured_on", "value", "source"]
    list_filter = ["source"]
    list_select_related = ["indicator"]


@admin.register(models.CommitteeMember)
class CommitteeMemberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "affiliation", "active"]


@admin.register(models.Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ["project", "member", "kind", "fiscal_year", "score"]
    list_filter = ["fiscal_year", "kind"]


@admin.register(models.ImprovementAction)
class ImprovementActionAdmin(SimpleHistoryAdmin):
    list_display = ["recommendation", "status", "due_date", "decided_on"]
    list_filter = ["status"]


@admin.register(models.CaseStudy)
class CaseStudyAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "project", "published"]
    list_filter = ["kind", "published"]


admin.site.register(models.ConflictOfInterest)
admin.site.register(models.Continuation)
admin.site.register(models.PaymentSchedule)
admin.site.register(models.SatisfactionSurvey)
admin.site.register(models.CaseReuse)


@admin.register(models.ReportFile)
class ReportFileAdmin(admin.ModelAdmin):
    list_display = ["fiscal_year", "quarter", "format", "status", "published_at"]
    exclude = ["file"]  # files are downloaded only through the permission-checked view


@admin.register(models.ReportIssuer)
class ReportIssuerAdmin(admin.ModelAdmin):
    """One row: the issuer printed on every report's cover."""

    list_display = ["issuer", "department", "contact", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not models.ReportIssuer.objects.exists()
