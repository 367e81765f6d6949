"""Conversation screens: a thread per proposal and per project, the list of one's threads, and
attachments served only after the same permission check as the thread."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from matching.conversations import selectors, services
from matching.conversations.forms import MessageForm
from matching.conversations.models import Attachment
from matching.conversations.selectors import Subject
from matching.models import Proposal
from matching.projects.models import Project
from portal.access import AuthenticatedRequest, role_required
from portal.formtools import form_add_service_errors, form_errors_text
from portal.models import AccessLog, Role
from portal.once import already_created, create_once
from portal.permissions import permission_or_refuse
from portal.services import access_log_record

# The two sides of a conversation; evaluators are no party to it (matching.permissions).
party_required = role_required(Role.PARTNER, Role.COORDINATOR, Role.APPROVER, Role.ADMIN)


def _visible(request: AuthenticatedRequest, subject: Subject | None) -> Subject:
    """The subject if the user is a party to its conversation; anything else answers 404."""
    if subject is None:
        raise Http404
    permission_or_refuse(request.user, "matching.view_conversation", subject, hidden=True)
    return subject


def _thread_page(request: AuthenticatedRequest, subject: Subject) -> HttpResponse:
    can_write = request.user.has_perm("matching.write_conversation", subject)
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied(_("この団体は利用停止中のため、メッセージは送れません。"))
        if form.is_valid():
            try:
                once = create_once(
                    request,
                    form,
                    name=f"matching:message:{selectors.conversation_url(subject)}",
                    by_content=False,
                    create=lambda: services.message_post(
                        subject=subject,
                        user=request.user,
                        body=form.cleaned_data["body"],
                        files=form.cleaned_data["attachments"],
                    ),
                    url=lambda _message: selectors.conversation_url(subject),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                if once.repeated:
                    return already_created(request, once)
                if not request.htmx:
                    messages.success(request, _("メッセージを送りました。"))
                    return redirect(once.url)
                form = MessageForm()
        if form.errors:
            # htmx swaps only a 2xx answer: the form comes back with its errors in place.
            status = 200 if request.htmx else 400
            access_log_record(
                kind=AccessLog.Kind.DENIED,
                request=request,
                detail=f"message refused: {form_errors_text(form)}"[:200],
            )
    thread = selectors.thread_of(subject)
    shown = selectors.thread_messages(thread, viewer=request.user)
    if thread is not None and shown and thread.viewer_read_upto < shown[-1].pk:  # type: ignore[attr-defined]
        services.read_mark(thread=thread, user=request.user, message_id=shown[-1].pk)
    context = {
        "subject": subject,
        "is_project": isinstance(subject, Project),
        "title": selectors.subject_title(subject),
        "thread_messages": shown,
        "form": form,
        "can_write": can_write,
        "action": selectors.conversation_url(subject),
    }
    if request.htmx:
        return render(request, "matching/conversations/thread.html#thread", context, status=status)
    return render(request, "matching/conversations/thread.html", context, status=status)


@party_required
@vary_on_headers("HX-Request")
def conversation_proposal(request: AuthenticatedRequest, proposal_id: int) -> HttpResponse:
    """The conversation about one proposal (either side's)."""
    subject = _visible(
        request,
        Proposal.objects.select_related("issue__coordinator", "organization", "created_by")
        .filter(pk=proposal_id)
        .first(),
    )
    return _thread_page(request, subject)


@party_required
@vary_on_headers("HX-Request")
def conversation_project(request: AuthenticatedRequest, project_id: int) -> HttpResponse:
    """The conversation about one collaboration project."""
    subject = _visible(
        request, Project.objects.select_related("coordinator").filter(pk=project_id).first()
    )
    return _thread_page(request, subject)


@party_required
def conversation_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's threads, latest message first, with how many messages they have not read."""
    page = Paginator(selectors.threads_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "matching/conversations/list.html", {"page": page})


@party_required
def attachment_download(request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
    """An attachment, to a party of its thread only, always as a download (never rendered by
    the browser as a page), typed by what the content check found, not by the sender."""
    attachment = get_object_or_404(
        Attachment.objects.select_related(
            "message__thread__proposal__issue", "message__thread__project"
        ),
        pk=attachment_id,
    )
    thread = attachment.message.thread
    _visible(request, thread.proposal or thread.project)
    access_log_record(
        kind=AccessLog.Kind.VIEW_PERSONAL,
        request=request,
        detail=f"conversation attachment {attachment.pk} of thread {thread.pk}",
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
