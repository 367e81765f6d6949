"""Screens: a person's mail settings; the mail log staff read to see what reached whom."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.access import AuthenticatedRequest, signed_in_required, staff_required
from portal.identifiers import search_words
from portal.models import AccessLog, MailLog, NoticeKind
from portal.notices.forms import MailLogFilterForm, NoticeSettingsForm
from portal.notices.services import mail_kinds_set
from portal.services import access_log_record

MAIL_LOG_PAGE = 50


@signed_in_required
def notice_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Anyone signed in: which kinds of notice also come by mail."""
    user = request.user
    mailed = [kind for kind in NoticeKind.values if kind not in (user.mail_muted or [])]
    form = NoticeSettingsForm(
        request.POST or None, initial={"mailed": mailed, "language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        mail_kinds_set(
            user=user, mailed=form.cleaned_data["mailed"], language=form.cleaned_data["language"]
        )
        messages.success(request, _("メールで受け取るお知らせを保存しました。"))
        return redirect("portal:notice_settings")
    return render(
        request, "portal/notice_settings.html", {"form": form, "has_email": bool(user.email)}
    )


@staff_required
def mail_log(request: AuthenticatedRequest) -> HttpResponse:
    """Ward staff: every mail the portal queued, to whom, when, and whether it was delivered."""
    form = MailLogFilterForm(request.GET or None)
    entries = MailLog.objects.select_related("recipient")
    if form.is_valid():
        if form.cleaned_data["status"]:
            entries = entries.filter(status=form.cleaned_data["status"])
        # Folded like the issue and registry searches (portal.identifiers): every word matches.
        for word in search_words(form.cleaned_data["q"]):
            entries = entries.filter(search_text__contains=word)
    page = Paginator(entries, MAIL_LOG_PAGE).get_page(request.GET.get("page"))
    # Addresses are personal data: who read them is recorded.
    access_log_record(kind=AccessLog.Kind.VIEW_PERSONAL, request=request, detail="mail-log")
    return render(request, "portal/mail_log.html", {"form": form, "page": page})
