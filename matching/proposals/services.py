"""Proposals to organisations: created on approval, answered by partners, reminded, expired."""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from issues.models import Issue, IssueStatus
from issues.workflow import PROPOSALS_CLOSED_IN, proposal_closed_refusal
from matching.models import (
    Decision,
    ExposureLog,
    Proposal,
)
from matching.notices import people_notify
from matching.permissions import can_answer_proposal
from matching.projects.models import Project
from matching.projects.services import project_create
from matching.proposals.selectors import contact_line, ward_contact
from partners.models import ContactLink, OrgStatus, Outreach
from partners.reach.services import Delivery, Notice, organization_members, organization_reach
from portal.fiscal import date_with_weekday
from portal.history import history_stamp
from portal.localtext import LocalText
from portal.mail import later, later_call
from portal.models import NoticeKind, User
from portal.services import notification_send

logger = logging.getLogger(__name__)

PROPOSAL_DAYS = 14
# The latest deadline staff may set when approving (days from today, Tokyo).
MAX_DEADLINE_DAYS = 90
REMINDER_DAYS = 3


class AnswerRefused(ValidationError):
    """A proposal that can no longer be answered (answered already, expired): the refusal is
    logged by the view (portal access log), as for any refused write."""


def deadline_default() -> datetime.date:
    """The default answer deadline: PROPOSAL_DAYS Tokyo days from today."""
    return timezone.localdate() + datetime.timedelta(days=PROPOSAL_DAYS)


def deadline_check(deadline: datetime.date) -> None:
    """A deadline staff set: from tomorrow (Tokyo) to MAX_DEADLINE_DAYS ahead."""
    today = timezone.localdate()
    if not today < deadline <= today + datetime.timedelta(days=MAX_DEADLINE_DAYS):
        raise ValidationError(
            {
                "deadline": _("回答期限は明日から %(days)s 日後までの日付にしてください。")
                % {"days": MAX_DEADLINE_DAYS}
            }
        )


def _notice(proposal: Proposal) -> Notice:
    issue = proposal.issue
    contact = ward_contact(proposal)
    # Lazy texts: each person reads them in their own language (portal.mail.later).
    deadline = later_call(date_with_weekday, proposal.deadline)
    lines: list[str | Promise] = [
        later(gettext_lazy("課題: %(title)s"), title=issue.title),
        later(
            gettext_lazy("区: %(ward)s"),
            ward=issue.ward.name_ja if issue.ward else gettext_lazy("区を問わない"),
        ),
        later(gettext_lazy("提案するリソース: %(title)s"), title=proposal.resource.title),
        later(gettext_lazy("回答期限: %(date)s"), date=deadline),
    ]
    if contact is not None:
        lines.append(later(gettext_lazy("区の担当者: %(who)s"), who=contact_line(contact)))
    return Notice(
        kind=NoticeKind.PROPOSAL,
        message=LocalText(
            gettext_noop("連携の提案が届きました: %(issue)s（回答期限 %(deadline)s）"),
            {"issue": issue.title, "deadline": proposal.deadline},
        ),
        subject=later(
            gettext_lazy("連携の提案が届きました（回答期限 %(deadline)s）"), deadline=deadline
        ),
        member_path=reverse("matching:partner_proposal", args=[proposal.pk]),
        topic=Outreach.Topic.PROPOSAL,
        topic_id=proposal.pk,
        contact_path=lambda token: reverse("matching:proposal_link", args=[proposal.pk, token]),
        contact_template="matching/mail/proposal_contact",
        lines=lines,
        context={"note": proposal.decision.comment if proposal.decision else ""},
    )


def proposal_reach(*, proposal: Proposal, sent_by: User | None) -> Delivery:
    """Send the proposal to its organisation (members, else contacts with a link) and record
    whom it reached; call inside the transaction that created or re-sends it."""
    return organization_reach(
        organization=proposal.organization,
        notice=_notice(proposal),
        outreach=(Outreach.Topic.PROPOSAL, proposal.pk),
        sent_by=sent_by,
    )


def proposal_create(
    *,
    decision: Decision,
    created_by: User | None,
    deadline: datetime.date | None = None,
    message: str = "",
) -> Proposal:
    """The proposal an approval sends: deadline `deadline` (default 14 Tokyo days), reached as
    partners.reach does (members, else contacts with a link; an Outreach either way).

    ValidationError when the issue takes no proposals (issues.workflow.PROPOSALS_CLOSED_IN).
    """
    resource = decision.resource
    if decision.issue.status in PROPOSALS_CLOSED_IN:
        raise ValidationError(proposal_closed_refusal(decision.issue.status))
    with transaction.atomic():
        existing = Proposal.objects.filter(
            issue=decision.issue, resource=resource, status=Proposal.Status.SENT
        ).first()
        if existing:
            return existing
        proposal = Proposal.objects.create(
            issue=decision.issue,
            resource=resource,
            organization_id=resource.organization_id,
            decision=decision,
            message=message,
            deadline=deadline or deadline_default(),
            created_by=created_by,
        )
        ExposureLog.objects.create(
            organization_id=resource.organization_id,
            kind=ExposureLog.Kind.PROPOSED,
            proposal=proposal,
        )
        proposal_reach(proposal=proposal, sent_by=created_by)
    return proposal


def project_from_proposal(*, proposal: Proposal, created_by: User | None) -> Project:
    """The project an accepted proposal becomes, whichever side proposed it.

    The ward's proposal starts today with the resource as its summary; a partner's carries what
    it offered: its text, period (start today when none was given) and cost share in yen.
    """
    issue = proposal.issue
    offered = proposal.from_partner
    return project_create(
        title=f"{issue.title}（{proposal.organization.name}）",
        summary=proposal.message if offered else proposal.resource.title,
        issues=[issue],
        organizations=[proposal.organization],
        start_date=proposal.period_start or timezone.localdate(),
        end_date=proposal.period_end,
        proposal=proposal,
        resource=proposal.resource,
        ward=issue.ward,
        field=issue.field,
        coordinator=issue.coordinator,
        created_by=created_by,
        public_cost=proposal.public_cost,
        partner_cost=proposal.partner_cost,
        in_kind_value=proposal.in_kind_value,
    )


def proposal_reach_retry(*, proposal: Proposal, user: User) -> Delivery:
    """Staff send a proposal that reached no one again (after adding a contact or member)."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != Proposal.Status.SENT:
            raise ValidationError(_("回答待ちの提案だけを送り直せます。"))
        delivery = proposal_reach(proposal=proposal, sent_by=user)
    if not delivery.reached:
        raise ValidationError(
            _("%(org)s には連絡できる利用者も担当者もいません。先に担当者を登録してください。")
            % {"org": proposal.organization.name}
        )
    return delivery


def proposal_respond(
    *,
    proposal: Proposal,
    accept: bool,
    reason: str = "",
    user: User | None = None,
    link: ContactLink | None = None,
) -> Proposal:
    """A member of the proposed organisation (`user`), or its contact through a mailed link
    (`link`), accepts (→ project) or declines (reason required).

    Raises PermissionDenied for anyone else, AnswerRefused when the proposal was answered
    already or its deadline (Tokyo date) has passed.
    """
    if link is not None:
        allowed = (
            link.organization_id == proposal.organization_id
            and proposal.organization.status == OrgStatus.APPROVED
        )
    else:
        allowed = user is not None and can_answer_proposal(user, proposal)
    if not allowed:
        raise PermissionDenied
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != Proposal.Status.SENT:
            raise AnswerRefused(_("この提案には既に回答済みか、期限が過ぎています。"))
        if locked.deadline < timezone.localdate():
            raise AnswerRefused(_("回答期限が過ぎています。"))
        if not accept and not reason.strip():
            raise ValidationError(_("辞退の理由を入力してください。"))
        locked.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.DECLINED
        locked.response_reason = reason.strip()
        locked.responded_at = timezone.now()
        locked.save(update_fields=["status", "response_reason", "responded_at"])
        issue = locked.issue
        if accept:
            project_from_proposal(proposal=locked, created_by=user)
        who = (
            str(user) if user is not None else (link.contact.name if link and link.contact else "")
        )
        staff = [u for u in {issue.coordinator, locked.created_by} if u is not None and u.is_active]
        if staff:
            notification_send(
                recipients=staff,
                message=LocalText(
                    gettext_noop("提案が受諾されました: %(issue)s × %(org)s（%(who)s）")
                    if accept
                    else gettext_noop("提案が辞退されました: %(issue)s × %(org)s（%(who)s）"),
                    {"issue": issue.title, "org": locked.organization.name, "who": who},
                ),
                url=reverse("matching:issue_review", args=[issue.pk]),
                kind=NoticeKind.PROPOSAL,
            )
    return locked


def proposals_expire(*, today: datetime.date | None = None) -> dict[str, int]:
    """Expire overdue proposals and remind partners 3 days before the deadline."""
    today = today or timezone.localdate()
    expired = 0
    for proposal in Proposal.objects.filter(status=Proposal.Status.SENT, deadline__lt=today):
        with transaction.atomic():
            expired += Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.SENT).update(
                status=Proposal.Status.EXPIRED
            )
    reminded = 0
    due = Proposal.objects.filter(
        status=Proposal.Status.SENT,
        reminded_at__isnull=True,
        deadline__gte=today,
        deadline__lte=today + datetime.timedelta(days=REMINDER_DAYS),
    ).select_related("issue")
    for proposal in due:
        with transaction.atomic():
            if not Proposal.objects.filter(pk=proposal.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            ):
                continue
            recipients = organization_members([proposal.organization_id])
            if recipients:
                notification_send(
                    recipients=recipients,
                    message=LocalText(
                        gettext_noop(
                            "提案への回答期限が近づいています: %(issue)s（期限 %(deadline)s）"
                        ),
                        {
                            "issue": proposal.issue.title,
                            "deadline": proposal.deadline,
                        },
                    ),
                    url=reverse("matching:partner_proposal", args=[proposal.pk]),
                    kind=NoticeKind.REMINDER,
                    subject=gettext_lazy("提案への回答期限が近づいています"),
                )
            reminded += 1
    return {"expired": expired, "reminded": reminded}


def proposals_close_for_issue(
    *, issue: Issue, status: str, changed_by: User | None = None, **_signal: object
) -> int:
    """Close `issue`'s open proposals — the ward's awaiting the organisation's answer (回答待ち)
    and organisations' awaiting the ward's (審査中) — when it enters a state that takes none
    (issues.workflow.PROPOSALS_CLOSED_IN); answers how many were closed.

    Each becomes 受付終了 with the issue status that closed it (Proposal.closed_reason, shown to
    both sides), and the proposing or proposed organisation's members are told (a notice, and
    a mail after the commit as each chose). Connected to issues.signals.issue_status_changed in
    MatchingConfig.ready, so it runs in the transaction that moved the issue.

    Reopening the issue does not resurrect them: the ward proposes afresh (an approval sends a
    new proposal) and an organisation submits again, each with a deadline that starts then.
    """
    if status not in PROPOSALS_CLOSED_IN:
        return 0
    pending = list(
        Proposal.objects.select_for_update(of=("self",))
        .filter(issue=issue, status__in=[Proposal.Status.SENT, Proposal.Status.SUBMITTED])
        .select_related("created_by")
    )
    now = timezone.now()
    for proposal in pending:
        proposal.status = Proposal.Status.CLOSED
        proposal.closed_by_issue_status = status
        proposal.closed_at = now
        history_stamp(proposal, changed_by, reason=gettext_lazy("課題の状態の変更による受付終了"))
        proposal.save(update_fields=["status", "closed_by_issue_status", "closed_at"])
        people_notify(
            recipients=[
                *organization_members([proposal.organization_id]),
                proposal.created_by if proposal.from_partner else None,
            ],
            message=LocalText(
                gettext_noop(
                    "課題が「%(status)s」になったため、提案の受付を終了しました: %(issue)s"
                ),
                {"status": IssueStatus(status).label, "issue": issue.title},
            ),
            path=reverse("matching:partner_proposal", args=[proposal.pk]),
            kind=NoticeKind.PROPOSAL,
        )
    return len(pending)
