"""Reach an organisation (members in-app and by mail, else contacts by a mailed link), the
links themselves (single-purpose, expiring, one-time where they create an account), and the
member accounts contacts create through them.

DESIGN "The borders": an organisation is reached through its members or, when it has none,
its contacts by mail with a signed, expiring link; nothing sent to it is dropped silently —
every send is recorded as an Outreach with how many people it reached.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import (
    ContactLink,
    ContactPerson,
    LinkPurpose,
    Membership,
    Organization,
    OrgStatus,
    Outreach,
)
from portal.fiscal import date_label
from portal.localtext import LocalText
from portal.mail import absolute_url, mail_template_send
from portal.models import NoticeKind, Role, User
from portal.services import notification_send

# How long a mailed link works (days). Long enough for a contact back from a holiday; the
# proposal's own deadline still applies to answering.
LINK_DAYS = 30


class LinkRefused(Exception):
    """A link that cannot be used: `message` is what the person reads, `reason` what the
    access log records (unknown / expired / used / other / member)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    """Whom one send reached: members told in the portal, contacts mailed a link."""

    members: int = 0
    contacts: int = 0

    @property
    def reached(self) -> int:
        return self.members + self.contacts


@dataclass
class Notice:
    """What an organisation is sent.

    `message` is the in-app line (and the mail's first line), `subject` the mail's short
    subject, `lines` the details every mail lists (dates, venue, deadline). Members open
    `member_path`; a contact's mail is `contact_template` (.txt/.html) with a link to
    `contact_path(token)`, answering `topic`/`topic_id` (LinkPurpose.ANSWER).
    """

    kind: str
    # A LocalText or lazy texts (gettext_lazy, portal.mail.later): each person reads them in
    # their language.
    message: str | Promise | LocalText
    subject: str | Promise
    member_path: str
    topic: str
    topic_id: int
    contact_path: Callable[[str], str]
    contact_template: str
    lines: list[str | Promise] = field(default_factory=list)
    context: dict = field(default_factory=dict)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def organization_members(organization_ids: Iterable[int]) -> list[User]:
    """The active portal users acting for these organisations."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id__in=list(organization_ids), user__is_active=True
        ).select_related("user")
    ]


def contact_link_issue(
    *,
    contact: ContactPerson,
    purpose: str,
    created_by: User | None = None,
    topic: str = "",
    topic_id: int | None = None,
    days: int = LINK_DAYS,
) -> tuple[ContactLink, str]:
    """A new link for `contact`; returns the row and the raw token (shown only in the mail)."""
    token = secrets.token_urlsafe(32)
    link = ContactLink.objects.create(
        organization_id=contact.organization_id,
        contact=contact,
        email=contact.email,
        purpose=purpose,
        topic=topic,
        topic_id=topic_id,
        token_hash=_hash(token),
        expires_at=timezone.now() + datetime.timedelta(days=days),
        created_by=created_by,
    )
    return link, token


def organization_reach(
    *, organization: Organization, notice: Notice, outreach: tuple[str, int], sent_by: User | None
) -> Delivery:
    """Send `notice` to the organisation and record whom it reached (Outreach `outreach`).

    Members (active users) get the in-app notice and, as each chose, the mail. With no member,
    every contact with an address is mailed `contact_template` with a link of their own. Call
    it inside the transaction that decided the send: the mails leave after it commits.
    """
    members = organization_members([organization.pk])
    if members:
        notification_send(
            recipients=members,
            message=notice.message,
            url=notice.member_path,
            kind=notice.kind,
            subject=notice.subject,
            lines=notice.lines,
        )
        delivery = Delivery(members=len(members))
    else:
        contacts = [c for c in organization.contacts.all() if c.email]
        for contact in contacts:
            link, token = contact_link_issue(
                contact=contact,
                purpose=LinkPurpose.ANSWER,
                created_by=sent_by,
                topic=notice.topic,
                topic_id=notice.topic_id,
            )
            contact_mail(
                contact=contact,
                template=notice.contact_template,
                subject=notice.subject,
                kind=notice.kind,
                context={
                    **notice.context,
                    "message": notice.message,
                    "lines": notice.lines,
                    "link": absolute_url(notice.contact_path(token)),
                    "expires": link.expires_at,
                },
            )
        delivery = Delivery(contacts=len(contacts))
    topic, topic_id = outreach
    Outreach.objects.update_or_create(
        topic=topic,
        topic_id=topic_id,
        organization=organization,
        defaults={"members": delivery.members, "contacts": delivery.contacts},
    )
    return delivery


def outreach_record(*, organization_id: int, topic: str, topic_id: int) -> Delivery:
    """Record, without sending anything, whom a send to the organisation reaches now: its
    members, else its contacts with an address (the demo's history uses it)."""
    members = len(organization_members([organization_id]))
    contacts = (
        0
        if members
        else ContactPerson.objects.filter(organization_id=organization_id).exclude(email="").count()
    )
    Outreach.objects.update_or_create(
        topic=topic,
        topic_id=topic_id,
        organization_id=organization_id,
        defaults={"members": members, "contacts": contacts},
    )
    return Delivery(members=members, contacts=contacts)


def contact_mail(
    *, contact: ContactPerson, template: str, subject: str | Promise, kind: str, context: dict
) -> None:
    """Mail one contact person `template` (see portal.mail.mail_template_send), addressed to
    them by name and organisation; contacts have no portal settings, so no settings link."""
    mail_template_send(
        to=contact.email,
        template=template,
        context={
            **context,
            "name": contact.name,
            "organization": contact.organization.name,
            "settings_link": "",
        },
        subject=subject,
        kind=kind,
    )


def contact_link_find(
    *, token: str, topic: str = "", topic_id: int | None = None, purpose: str = LinkPurpose.ANSWER
) -> ContactLink:
    """The live link for `token`, meant for this purpose and subject, or LinkRefused."""
    link = (
        ContactLink.objects.select_related("organization", "contact")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise LinkRefused(
            _("このリンクは無効です。メールに記載されたリンクをそのまま開いてください。"),
            "unknown",
        )
    if link.purpose != purpose or link.topic != topic or link.topic_id != topic_id:
        raise LinkRefused(
            _(
                "このリンクは別の団体または別の用件のためのものです。届いたメールのリンクを開いてください。"
            ),
            "other",
        )
    if link.expires_at <= timezone.now():
        raise LinkRefused(
            _(
                "このリンクの有効期限（%(date)s）が過ぎています。区の担当者に新しいリンクを依頼してください。"
            )
            % {"date": date_label(link.expires_at)},
            "expired",
        )
    return link


def join_refusal(link: ContactLink, user: User | AnonymousUser | None) -> LinkRefused | None:
    """Why `link` can no longer create an account (used, or the viewer already belongs to an
    organisation), or None when it can."""
    if link.joined_at is not None:
        return LinkRefused(
            _("このリンクからは既に利用者アカウントが作成されています。ログインしてください。"),
            "used",
        )
    if user is not None and user.is_authenticated:
        return LinkRefused(
            _("ログイン中のアカウントでは、この団体の利用者を作成できません。"), "member"
        )
    return None


def contact_join(
    *,
    link: ContactLink,
    username: str,
    password: str,
    then: Callable[[User, ContactLink], object] | None = None,
) -> User:
    """The link's contact becomes a member: a partner account with `password`, once per link.

    `then(user, link)` runs in the same transaction (an app above hands the contact's own
    records to the new account). Raises LinkRefused when the link was used already (checked
    under a row lock, so two submissions cannot both create an account) and ValidationError
    for a taken username or address, or an organisation that can no longer take members.
    """
    username = User.normalize_username(username.strip())  # as the login form reads it (NFKC)
    with transaction.atomic():
        link = (
            ContactLink.objects.select_for_update(of=("self",))
            .select_related("contact")
            .get(pk=link.pk)
        )
        refusal = join_refusal(link, None)
        if refusal is not None:
            raise refusal
        organization = Organization.objects.get(pk=link.organization_id)
        if organization.status in {OrgStatus.MERGED, OrgStatus.REJECTED, OrgStatus.SUSPENDED}:
            raise ValidationError(_("この団体には現在、利用者を追加できません。"))
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("このログインIDは既に使われています。")})
        if User.objects.filter(email__iexact=link.email).exists():
            raise ValidationError(
                _("このメールアドレスの利用者アカウントが既にあります。ログインしてください。")
            )
        user = User(
            username=username,
            email=link.email,
            role=Role.PARTNER,
            display_name=link.contact.name if link.contact else "",
        )
        validate_password(password, user)
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, organization=organization)
        link.joined_at = timezone.now()
        link.save(update_fields=["joined_at"])
        if then is not None:
            then(user, link)
    return user


def contact_invite(*, contact: ContactPerson, by: User) -> ContactLink:
    """Staff invite a contact to become a member: a one-time JOIN link, mailed after commit."""
    if contact.organization.status in {OrgStatus.MERGED, OrgStatus.REJECTED}:
        raise ValidationError(_("この団体の担当者は招待できません。"))
    if User.objects.filter(email__iexact=contact.email).exists():
        raise ValidationError(
            _("%(email)s の利用者アカウントは既にあります。") % {"email": contact.email}
        )
    with transaction.atomic():
        link, token = contact_link_issue(contact=contact, purpose=LinkPurpose.JOIN, created_by=by)
        contact_mail(
            contact=contact,
            template="partners/mail/join",
            subject=gettext_lazy("利用者アカウント作成のご案内"),
            kind=NoticeKind.GENERAL,
            context={
                "link": absolute_url(reverse("partners:join", args=[token])),
                "expires": link.expires_at,
                "inviter": by,
            },
        )
    return link
