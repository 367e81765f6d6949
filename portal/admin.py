from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from portal.admin_audit import PersonalDataAdminMixin
from portal.auth import AdminLoginForm
from portal.models import AccessLog, User, Ward

# Both logins fold the username alike (portal.auth); the throttle is shared already.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(PersonalDataAdminMixin, BaseUserAdmin):
    fieldsets = (
        # Always set on Django's UserAdmin; the stubs type ModelAdmin.fieldsets as optional.
        *cast("tuple[Any, ...]", BaseUserAdmin.fieldsets),
        ("役割", {"fields": ("role", "ward", "display_name")}),
    )
    list_display = ("username", "display_name", "role", "ward", "is_active")
    list_filter = ("role", "ward", "is_active")


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ("code", "code_with_check_digit", "name_ja", "name_en")


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "username", "path", "ip_address")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
