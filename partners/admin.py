from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from partners.models import ContactPerson, Membership, Organization, Resource
from partners.resources import ResourceTable
from portal.admin_audit import AuditedExportMixin, PersonalDataAdminMixin


class ContactInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(PersonalDataAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "org_type", "size", "status", "corporate_number", "ward"]
    list_filter = ["status", "org_type", "size"]
    search_fields = ["name", "corporate_number"]
    inlines = [ContactInline]
    raw_id_fields = ["merged_into"]


@admin.register(Resource)
class ResourceAdmin(AuditedExportMixin, SimpleHistoryAdmin):
    resource_classes = [ResourceTable]
    list_display = ["ref", "title", "organization", "kind", "status", "capacity"]
    list_filter = ["status", "kind"]
    search_fields = ["ref", "title", "organization__name"]
    raw_id_fields = ["organization"]


@admin.register(Membership)
class MembershipAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    list_display = ["user", "organization"]
    raw_id_fields = ["user", "organization"]
