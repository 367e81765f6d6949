"""Writes of conversations: posting a message with its attachments, and read markers."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

from matching.conversations import selectors
from matching.conversations.models import Attachment, Message, Side, Thread, ThreadRead
from matching.notices import people_notify, ward_staff
from matching.permissions import (
    can_write_conversation,
    subject_organization_ids,
    subject_ward_id,
)
from partners.reach.services import organization_members
from portal.attachments import (
    attachment_content_type,
    attachment_name,
    attachment_problem,
    attachment_upload_to,
)
from portal.history import history_stamp
from portal.localtext import LocalText
from portal.mail import later
from portal.models import NoticeKind, Role, User

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from matching.conversations.selectors import Subject


def _thread_get_or_create(subject: Subject) -> Thread:
    lookup = selectors.subject_lookup(subject)
    thread = Thread.objects.filter(**lookup).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            thread = Thread(**lookup)
            thread.save()
            return thread
    except IntegrityError:  # the other side opened it at the same moment
        return Thread.objects.get(**lookup)


def _attachments_store(message: Message, files: list[UploadedFile]) -> list[str]:
    """Store each file (checked again here: the service refuses what the form refuses)."""
    stored: list[str] = []
    for upload in files:
        name = attachment_name(upload.name or "")
        upload.seek(0)
        data = upload.read()
        problem = attachment_problem(name, data)
        if problem:
            raise ValidationError({"attachments": problem})
        attachment = Attachment(
            message=message,
            name=name,
            content_type=attachment_content_type(name),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        attachment.file.save(attachment_upload_to(attachment, name), ContentFile(data), save=False)
        stored.append(attachment.file.name or "")
        history_stamp(attachment, message.author)
        attachment.save()
    return stored


def message_post(
    *, subject: Subject, user: User, body: str, files: list[UploadedFile] | None = None
) -> Message:
    """Post a message (text and/or up to five checked files) on the subject's thread.

    The thread is created with its first message. The author's own message counts as read by
    them; the other side is told in-app and by mail (after commit): the organisation's members
    when staff write, the ward's staff on the matter (matching.notices.ward_staff) when a
    partner writes. Raises PermissionDenied when the user may not write in this conversation
    (matching.permissions.can_write_conversation) and ValidationError (nothing stored) for an
    empty message or a file that is refused.
    """
    if not can_write_conversation(user, subject):
        raise PermissionDenied
    body = body.strip()
    files = list(files or [])
    if not body and not files:
        raise ValidationError(_("メッセージを入力するか、ファイルを添付してください。"))
    side = Side.PARTNER if user.role == Role.PARTNER else Side.WARD
    stored: list[str] = []
    try:
        with transaction.atomic():
            thread = _thread_get_or_create(subject)
            message = Message(thread=thread, author=user, side=side, body=body)
            history_stamp(message, user)
            message.save()
            stored = _attachments_store(message, files)
            Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
            read_mark(thread=thread, user=user, message_id=message.pk)
            _other_side_notify(subject=subject, thread=thread, message=message)
    except Exception:
        # The rows rolled back; their files must not stay behind without a row naming them.
        for name in stored:
            Attachment.file.field.storage.delete(name)
        raise
    return message


def _other_side_notify(*, subject: Subject, thread: Thread, message: Message) -> None:
    title = selectors.subject_title(subject)
    author = message.author
    if message.side == Side.WARD:
        recipients = organization_members(subject_organization_ids(subject))
    else:
        writers = User.objects.filter(
            pk__in=thread.messages.filter(side=Side.WARD).values("author_id")
        )
        recipients = ward_staff(
            ward_id=subject_ward_id(subject),
            responsible=[*selectors.subject_staff(subject), *writers],
        )
    people_notify(
        recipients=[u for u in recipients if author is None or u.pk != author.pk],
        message=LocalText(gettext_noop("新しいメッセージ: %(title)s"), {"title": title}),
        path=selectors.conversation_url(subject),
        kind=NoticeKind.MESSAGE,
        body=_message_line(author=author or "—", title=title, attached=message.attachments.count()),
    )


def _message_line(*, author: object, title: str, attached: int) -> Promise:
    """Who wrote about what, and how many files came with it, in the reader's language."""
    line = later(
        gettext_lazy("%(author)s さんから「%(title)s」についてのメッセージが届きました。"),
        author=author,
        title=title,
    )
    if not attached:
        return line
    files = later(
        ngettext_lazy("添付ファイル %(n)s 件", "添付ファイル %(n)s 件", attached), n=attached
    )
    return later(gettext_lazy("%(result)s — %(reason)s"), result=line, reason=files)


def read_mark(*, thread: Thread, user: User, message_id: int) -> None:
    """The user has read the thread up to `message_id` (a marker never moves backwards)."""
    now = timezone.now()
    moved = ThreadRead.objects.filter(
        thread=thread, user=user, last_message_id__lt=message_id
    ).update(last_message_id=message_id, read_at=now)
    if moved:
        return
    try:
        with transaction.atomic():
            ThreadRead.objects.get_or_create(
                thread=thread, user=user, defaults={"last_message_id": message_id, "read_at": now}
            )
    except IntegrityError:  # two tabs of the same person: one marker is enough
        pass
