"""Telling people on either side: an in-app notice and, as each person chose, a mail.

Partners' proposals and conversations reach the other side the same way as every other notice
(portal.services.notification_send): the notice is written in the caller's transaction, the
mail leaves after it commits, and its link is built from SITE_URL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise

from portal.localtext import LocalText
from portal.models import NoticeKind, Role, User
from portal.services import notification_send


def people_notify(
    *,
    recipients: Iterable[User | None],
    message: str | Promise | LocalText,
    path: str,
    kind: NoticeKind,
    body: str | Promise = "",
) -> None:
    """An in-app notice to each active recipient (once each), and a mail of their own to those
    who take `kind` by mail (their notice settings); `body` is a further line of the mail.
    `message` (a LocalText, or lazy) and `body` (lazy: portal.mail.later) are read by each in
    their language."""
    people = list(
        {user.pk: user for user in recipients if user is not None and user.is_active}.values()
    )
    if people:
        notification_send(
            recipients=people, message=message, url=path, kind=kind, lines=[body] if body else []
        )


def ward_staff(*, ward_id: int | None, responsible: Iterable[User | None] = ()) -> list[User]:
    """Who answers for the ward: the staff responsible for the matter (the issue's or project's
    coordinator, whoever wrote on it), or else the ward's coordinators, or else the admins, so
    that nothing an organisation sends is left without a reader."""
    named = [u for u in responsible if u is not None and u.is_active and u.role != Role.PARTNER]
    if named:
        return named
    coordinators = User.objects.filter(role=Role.COORDINATOR, is_active=True)
    # A ward-independent matter goes to the coordinators who work for no single ward.
    if ward_id is None:
        coordinators = coordinators.filter(ward__isnull=True)
    else:
        coordinators = coordinators.filter(ward_id=ward_id)
    found = list(coordinators)
    return found or list(User.objects.filter(role=Role.ADMIN, is_active=True))
