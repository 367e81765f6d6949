"""Publishing an open call (募集) from the issue's review screen."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matching.calls import services
from matching.calls.forms import OpenCallForm
from matching.views import issue_in_scope
from portal.access import AuthenticatedRequest, coordinator_required
from portal.formtools import messages_form_errors, messages_service_errors
from portal.permissions import permission_or_refuse


@coordinator_required
@require_POST
def call_publish(request: AuthenticatedRequest, issue_id: int) -> HttpResponse:
    """Coordinators of the issue's ward (and admins) publish it, or change its deadline/criteria."""
    issue = issue_in_scope(request, issue_id)
    permission_or_refuse(request.user, "matching.publish_call", issue)
    form = OpenCallForm(request.POST)
    if not form.is_valid():
        messages_form_errors(request, form)
    else:
        try:
            call = services.open_call_publish(issue=issue, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            messages.success(
                request,
                _("募集を公開しました（締切 %(deadline)s）。団体の「募集中の課題」に表示されます。")
                % {"deadline": f"{call.deadline:%Y-%m-%d}"},
            )
    return redirect(reverse("matching:issue_review", args=[issue.pk]) + "#open-call")
