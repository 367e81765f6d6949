"""Admin screens are entry points too: they record views and exports of personal data.

The access-log policy (every view or export of personal data: who, what, when) holds in the
Django admin as in the portal's own screens; these mixins add it to the admin classes that
show people's contact details or export records.
"""

from __future__ import annotations

from import_export.admin import ExportMixin

from portal.models import AccessLog
from portal.services import access_log_record
from portal.tabular import dataset_neutralize


class PersonalDataAdminMixin:
    """A list or change page that shows people's names and contact details."""

    def _record_view(self, request, what: str) -> None:
        if request.method == "GET":
            access_log_record(
                kind=AccessLog.Kind.VIEW_PERSONAL,
                request=request,
                detail=f"admin {self.model._meta.label} {what}",  # type: ignore[attr-defined]
            )

    def changelist_view(self, request, extra_context=None):
        self._record_view(request, "list")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._record_view(request, f"#{object_id}")
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


class AuditedExportMixin(ExportMixin):
    """django-import-export's export, recorded and neutralised like the portal's own exports.

    The library's own formula escaping (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) removes one
    leading "=" only, so "==HYPERLINK(…)" stayed a formula and "+ - @" passed; it is switched
    off and every cell goes through the portal's cell_neutralize instead.
    """

    def get_data_for_export(self, request, queryset, **kwargs):
        return dataset_neutralize(super().get_data_for_export(request, queryset, **kwargs))

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        access_log_record(
            kind=AccessLog.Kind.EXPORT,
            request=request,
            detail=f"admin {self.model._meta.label} rows={queryset.count()}",
        )
        return data
