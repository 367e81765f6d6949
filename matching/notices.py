"""Telling people on either side: an in-app notice and a mail with an absolute link.

Partners' proposals and conversations reach the other side the same way: the notice is written
in the caller's transaction, the mail leaves after it commits (portal.mail), and the link in
the mail is built from SITE_URL, since a person reads it in a mail client.
"""

from __future__ import annotations

from collections.abc import Iterable

from partners.models import Membership
from portal.mail import absolute_url, mail_send
from portal.models import Role, User
from portal.services import notification_send

NOTICE_MAX_CHARS = 300  # portal.Notification.message


def people_notify(*, recipients: Iterable[User], message: str, path: str, body: str = "") -> None:
    """Notice + mail to each active recipient (once each, in a mail of their own); `body`
    defaults to `message`."""
    people = list(
        {user.pk: user for user in recipients if user is not None and user.is_active}.values()
    )
    if not people:
        return
    notification_send(recipients=people, message=message[:NOTICE_MAX_CHARS], url=path, email=False)
    text = f"{body or message}\n\n{absolute_url(path)}\n"
    # One mail per person: recipients of different organisations never see each other's address.
    for user in people:
        mail_send(to=[user.email], subject=message, body=text)


def organization_members(organization_ids: Iterable[int]) -> list[User]:
    """The active portal users acting for these organisations."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id__in=list(organization_ids), user__is_active=True
        ).select_related("user")
    ]


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
