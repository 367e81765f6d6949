"""Proposals between the ward and organisations.

The ward's proposals are created on approval, answered by partners, reminded and expired. A
partner's own proposals (逆プロポ) are submitted by a member to an open issue and answered by
staff through the review flow (matching.review.services.partner_proposal_decide), which calls
partner_proposal_answer here. Either way an accepted proposal becomes a project through
project_from_proposal.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Issue, IssueStatus
from matching.calls.models import OpenCall
from matching.models import (
    Decision,
    ExposureLog,
    Proposal,
)
from matching.notices import organization_members, people_notify, ward_staff
from matching.permissions import can_answer_proposal, can_propose
from matching.projects.models import Project
from matching.projects.services import project_create
from matching.selectors import partner_organization_id
from partners.models import ResourceStatus
from portal.models import User
from portal.services import notification_send

logger = logging.getLogger(__name__)

PROPOSAL_DAYS = 14
REMINDER_DAYS = 3


def _partner_users(organization_id: int) -> list[User]:
    return organization_members([organization_id])


def proposal_create(
    *,
    decision: Decision,
    created_by: User | None,
    deadline: datetime.date | None = None,
    message: str = "",
) -> Proposal:
    resource = decision.resource
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
            deadline=deadline or timezone.localdate() + datetime.timedelta(days=PROPOSAL_DAYS),
            created_by=created_by,
        )
        ExposureLog.objects.create(
            organization_id=resource.organization_id,
            kind=ExposureLog.Kind.PROPOSED,
            proposal=proposal,
        )
        recipients = _partner_users(resource.organization_id)
        if recipients:
            notification_send(
                recipients=recipients,
                message=_("連携の提案が届きました: %(issue)s（回答期限 %(deadline)s）")
                % {"issue": decision.issue.title, "deadline": proposal.deadline},
                url=reverse("matching:partner_proposal", args=[proposal.pk]),
            )
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


def proposal_respond(*, proposal: Proposal, user: User, accept: bool, reason: str = "") -> Proposal:
    """A partner of the proposed organisation accepts (→ project) or declines (reason required)."""
    if not can_answer_proposal(user, proposal):
        raise PermissionDenied
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != Proposal.Status.SENT:
            raise ValidationError(_("この提案には既に回答済みか、期限が過ぎています。"))
        if locked.deadline < timezone.localdate():
            raise ValidationError(_("回答期限が過ぎています。"))
        if not accept and not reason.strip():
            raise ValidationError(_("辞退の理由を入力してください。"))
        locked.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.DECLINED
        locked.response_reason = reason.strip()
        locked.responded_at = timezone.now()
        locked.save(update_fields=["status", "response_reason", "responded_at"])
        issue = locked.issue
        if accept:
            project_from_proposal(proposal=locked, created_by=user)
        staff = [u for u in {issue.coordinator, locked.created_by} if u is not None and u.is_active]
        if staff:
            notification_send(
                recipients=staff,
                message=(
                    _("提案が受諾されました: %(issue)s × %(org)s")
                    if accept
                    else _("提案が辞退されました: %(issue)s × %(org)s")
                )
                % {"issue": issue.title, "org": locked.organization.name},
                url=reverse("matching:issue_review", args=[issue.pk]),
                email=False,
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
            recipients = _partner_users(proposal.organization_id)
            if recipients:
                notification_send(
                    recipients=recipients,
                    message=_("提案への回答期限が近づいています: %(issue)s（期限 %(deadline)s）")
                    % {"issue": proposal.issue.title, "deadline": proposal.deadline},
                    url=reverse("matching:partner_proposal", args=[proposal.pk]),
                )
            reminded += 1
    return {"expired": expired, "reminded": reminded}


# ------------------------------------------------------------------------ partners propose


def open_call_refusal(call: OpenCall | None, today: datetime.date | None = None) -> str:
    """Why a proposal to this call is refused now ("" when it is open): past its deadline."""
    if call is None or not call.is_closed(today):
        return ""
    return _(
        "この募集は %(deadline)s に締め切りました。締切後の提案は受け付けていません。"
        "ご相談は区の担当者にお問い合わせください。"
    ) % {"deadline": f"{call.deadline:%Y-%m-%d}"}


def partner_proposal_submit(*, user: User, issue: Issue, data: dict[str, Any]) -> Proposal:
    """A member's interest (関心表明) or proposal (提案) to an open issue: 逆プロポ.

    `data`: kind, message (what they offer), resources (their organisation's active Resources,
    at least one; the first is the pair's resource), period_start / period_end (dates or None),
    public_cost / partner_cost / in_kind_value (yen, integers ≥ 0). The proposal waits for the
    ward (審査中); the staff responsible for the issue are told.

    Raises PermissionDenied unless the user is a member of an approved organisation, and
    ValidationError (nothing stored) when the issue is not 募集中, its open call has closed
    (Tokyo date past the deadline), a resource is not their own active one, the period ends
    before it starts, or the organisation already has a proposal on the issue in progress.
    """
    organization_id = partner_organization_id(user)
    if organization_id is None or not can_propose(user):
        raise PermissionDenied
    resources = list(data.get("resources") or [])
    if not resources:
        raise ValidationError({"resources": _("関わるリソースを1件以上選んでください。")})
    if any(
        r.organization_id != organization_id or r.status != ResourceStatus.ACTIVE for r in resources
    ):
        raise ValidationError({"resources": _("選べるのは自団体の提供中のリソースだけです。")})
    start, end = data.get("period_start"), data.get("period_end")
    if start and end and end < start:
        raise ValidationError({"period_end": _("終了日は開始日以降にしてください。")})
    with transaction.atomic():
        # One proposal at a time per organisation and issue: the issue row serialises them.
        locked = Issue.objects.select_for_update().select_related("coordinator").get(pk=issue.pk)
        if locked.status != IssueStatus.OPEN:
            raise ValidationError(
                _("この課題は現在、提案を受け付けていません（募集中ではありません）。")
            )
        call = OpenCall.objects.filter(issue=locked).first()
        refusal = open_call_refusal(call)
        if refusal:
            raise ValidationError(refusal)
        pending = (
            Proposal.objects.filter(issue=locked, organization_id=organization_id)
            .filter(status__in=[Proposal.Status.SUBMITTED, Proposal.Status.SENT])
            .values_list("status", flat=True)
            .first()
        )
        if pending == Proposal.Status.SENT:
            raise ValidationError(
                _("この課題については区からの提案が届いています。その提案に回答してください。")
            )
        if pending == Proposal.Status.SUBMITTED:
            raise ValidationError(
                _(
                    "この課題には既に審査中の提案があります。"
                    "追加の内容はその提案のやりとりで区に伝えてください。"
                )
            )
        proposal = Proposal.objects.create(
            issue=locked,
            resource=resources[0],
            organization_id=organization_id,
            origin=Proposal.Origin.PARTNER,
            kind=data.get("kind") or Proposal.Kind.PROPOSAL,
            status=Proposal.Status.SUBMITTED,
            message=(data.get("message") or "").strip(),
            period_start=start,
            period_end=end,
            public_cost=data.get("public_cost") or 0,
            partner_cost=data.get("partner_cost") or 0,
            in_kind_value=data.get("in_kind_value") or 0,
            open_call=call,
            deadline=timezone.localdate() + datetime.timedelta(days=PROPOSAL_DAYS),
            created_by=user,
        )
        proposal.resources.set(resources)
        people_notify(
            recipients=ward_staff(ward_id=locked.ward_id, responsible=[locked.coordinator]),
            message=_("団体から%(kind)sが届きました: %(issue)s ← %(org)s")
            % {
                "kind": proposal.get_kind_display(),
                "issue": locked.title,
                "org": proposal.organization.name,
            },
            path=reverse("matching:issue_review", args=[locked.pk]),
        )
    return proposal


def partner_proposal_answer(
    *, proposal: Proposal, decision: Decision, user: User, reason: str = ""
) -> Proposal:
    """The ward's answer to a partner's proposal, from the review flow's final verdicts.

    Called by matching.review.services.partner_proposal_decide inside its transaction with
    `proposal` locked and still 審査中: approved → 受諾 and a project (project_from_proposal),
    rejected → 見送り, keeping `reason` (the reason as the partner reads it, with the comment).
    The organisation's members are told.
    """
    approved = decision.verdict == Decision.Verdict.APPROVED
    proposal.status = Proposal.Status.ACCEPTED if approved else Proposal.Status.REJECTED
    proposal.decision = decision
    proposal.response_reason = reason or decision.comment
    proposal.responded_at = timezone.now()
    proposal.save(update_fields=["status", "decision", "response_reason", "responded_at"])
    if approved:
        project_from_proposal(proposal=proposal, created_by=user)
    people_notify(
        recipients=organization_members([proposal.organization_id]),
        message=(
            _("提案が採択され、連携事業になりました: %(issue)s")
            if approved
            else _("提案は今回見送りとなりました: %(issue)s")
        )
        % {"issue": proposal.issue.title},
        path=reverse("matching:partner_proposal", args=[proposal.pk]),
    )
    return proposal
