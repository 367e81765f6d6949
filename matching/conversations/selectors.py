"""Reads of conversations: a thread's messages with who read them, and the threads a person has.

Every read here is bounded: a thread page costs the same number of queries whatever the number
of messages, attachments and readers (tests/matching/test_conversations.py counts them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from matching.conversations.models import Attachment, Message, Thread, ThreadRead
from matching.models import Proposal
from matching.projects.models import Project
from partners.models import Membership
from portal.models import Role, User

type Subject = Proposal | Project
MESSAGES_SHOWN = 300


def subject_lookup(subject: Subject) -> dict[str, Any]:
    """The Thread field that points at the subject, as a filter."""
    return {"proposal": subject} if isinstance(subject, Proposal) else {"project": subject}


def subject_title(subject: Subject) -> str:
    if isinstance(subject, Proposal):
        return f"{subject.issue.title}（{subject.organization.name}）"
    return subject.title


def subject_staff(subject: Subject) -> list[User | None]:
    """The staff who answer for the subject: the coordinator, and who sent the ward's proposal."""
    if isinstance(subject, Proposal):
        sender = None if subject.from_partner else subject.created_by
        return [subject.issue.coordinator, sender]
    return [subject.coordinator]


def conversation_url(subject: Subject) -> str:
    if isinstance(subject, Proposal):
        return reverse("matching:conversation_proposal", args=[subject.pk])
    return reverse("matching:conversation_project", args=[subject.pk])


def thread_of(subject: Subject) -> Thread | None:
    return Thread.objects.filter(**subject_lookup(subject)).first()


def thread_messages(thread: Thread | None, *, viewer: User) -> list[Message]:
    """The latest MESSAGES_SHOWN messages, oldest first, each with `files` (its attachments),
    `mine` and `read_by` (the other participants who have read it, from the read markers,
    per person). Sets `viewer_read_upto` on the thread: the viewer's own marker (0 = none)."""
    if thread is None:
        return []
    messages: list[Message] = list(
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr="files")
        )
        .order_by("-created_at", "-pk")[:MESSAGES_SHOWN]
    )
    messages.reverse()
    reads = list(ThreadRead.objects.filter(thread=thread).select_related("user"))
    thread.viewer_read_upto = next(  # type: ignore[attr-defined]
        (read.last_message_id for read in reads if read.user_id == viewer.pk), 0
    )
    # The viewer reads every message shown now (their marker moves when the page is served).
    others = [read for read in reads if read.user_id != viewer.pk]
    for message in messages:
        readers = [read.user for read in others if read.last_message_id >= message.pk]
        if message.author_id != viewer.pk:
            readers.insert(0, viewer)
        message.read_by = [  # type: ignore[attr-defined]
            user for user in readers if user.pk != message.author_id
        ]
        message.mine = message.author_id == viewer.pk  # type: ignore[attr-defined]
    return messages


def threads_for(user: User) -> QuerySet[Thread]:
    """The threads the user is a party to, latest message first, each with `unread` (messages
    by others after their read marker). Partners: their organisation's proposals and projects;
    coordinators and approvers: their ward's (and ward-independent ones); admins: all."""
    qs = Thread.objects.filter(last_message_at__isnull=False)
    if user.role == Role.PARTNER:
        org_id = Membership.objects.filter(user=user).values("organization_id")[:1]
        qs = qs.filter(
            Q(proposal__organization_id=Subquery(org_id))
            | Q(project__organizations__id=Subquery(org_id))
        )
    elif user.role in (Role.COORDINATOR, Role.APPROVER) and user.ward_id:
        ward = user.ward_id
        qs = qs.filter(
            Q(proposal__issue__ward_id=ward)
            | Q(proposal__isnull=False, proposal__issue__ward__isnull=True)
            | Q(project__ward_id=ward)
            | Q(project__isnull=False, project__ward__isnull=True)
        )
    elif user.role not in (Role.ADMIN, Role.COORDINATOR, Role.APPROVER):
        return qs.none()
    read_upto = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values(
        "last_message_id"
    )[:1]
    return (
        qs.annotate(read_upto=Coalesce(Subquery(read_upto), 0, output_field=IntegerField()))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__pk__gt=F("read_upto")) & ~Q(messages__author=user),
                distinct=True,
            )
        )
        .select_related("proposal__issue", "proposal__organization", "project")
        .order_by("-last_message_at", "-pk")
    )
