"""The one screen action previewed imports share: cancelling a preview removes its file."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import AuthenticatedRequest, coordinator_required
from portal.uploads import import_pending_discard

# The kinds of import that keep a preview (issues and resources); anything else is ignored.
IMPORT_KINDS = {"issues", "resources"}


@require_POST
@coordinator_required
def import_cancel(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind in IMPORT_KINDS:
        import_pending_discard(request=request, kind=kind)
    messages.info(request, _("取り込みを取り消しました。ファイルは保存していません。"))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "portal:dashboard"
    return redirect(target)
