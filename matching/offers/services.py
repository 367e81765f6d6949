"""Partners' own proposals (逆プロポ): a member proposes to an open issue, the ward answers.

Staff decide them with the candidates' review flow (matching.review.services.
partner_proposal_decide), which calls partner_proposal_answer here for its final verdicts; an
accepted one becomes a project like the ward's accepted proposals
(matching.proposals.services.project_from_proposal).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from issues.models import Issue, IssueStatus
from matching.calls.models import OpenCall
from matching.models import Decision, Proposal
from matching.notices import people_notify, ward_staff
from matching.permissions import can_propose
from matching.proposals.services import PROPOSAL_DAYS, project_from_proposal
from matching.selectors import partner_organization_id
from partners.models import ResourceStatus
from partners.reach.services import organization_members
from portal.localtext import LocalText
from portal.models import NoticeKind, User


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
        locked = (
            Issue.objects.select_for_update(of=("self",))
            .select_related("coordinator")
            .get(pk=issue.pk)
        )
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
            message=LocalText(
                gettext_noop("団体から%(kind)sが届きました: %(issue)s ← %(org)s"),
                {
                    "kind": Proposal.Kind(proposal.kind).label,
                    "issue": locked.title,
                    "org": proposal.organization.name,
                },
            ),
            path=reverse("matching:issue_review", args=[locked.pk]),
            kind=NoticeKind.PROPOSAL,
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
        message=LocalText(
            gettext_noop("提案が採択され、連携事業になりました: %(issue)s")
            if approved
            else gettext_noop("提案は今回見送りとなりました: %(issue)s"),
            {"issue": proposal.issue.title},
        ),
        path=reverse("matching:partner_proposal", args=[proposal.pk]),
        kind=NoticeKind.PROPOSAL,
    )
    return proposal
