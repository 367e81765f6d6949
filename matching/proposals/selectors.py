"""Reads of proposals: what the partner needs to decide, and whether a proposal reached anyone."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from matching.models import Proposal
from matching.selectors import proposals_for_staff
from partners.models import Outreach
from portal.models import STAFF_ROLES, Role, User


def ward_contact(proposal: Proposal) -> User | None:
    """Whom the partner writes to, always someone of the ward's side: the issue's coordinator,
    else the staff member who sent the proposal, else the first active coordinator of the
    issue's ward (by id, so every page names the same person); None when there is none (the
    page then points to the ward's office). A partner's own proposal (逆プロポ) was created by
    the partner, who was shown as their own ward contact."""
    issue = proposal.issue
    if issue.coordinator is not None:
        return issue.coordinator
    sender = proposal.created_by
    if sender is not None and sender.role in STAFF_ROLES:
        return sender
    if issue.ward_id is None:
        return None
    return (
        User.objects.filter(role=Role.COORDINATOR, ward_id=issue.ward_id, is_active=True)
        .select_related("ward")
        .order_by("pk")
        .first()
    )


def contact_line(user: User) -> str:
    """One line for a mail: 名前（区 部署）mail."""
    where = " ".join(
        part for part in (user.ward.name_ja if user.ward else "", user.department) if part
    )
    text = f"{user}（{where}）" if where else str(user)
    return f"{text} {user.email}" if user.email else text


def proposal_page(proposal: Proposal) -> dict[str, Any]:
    """What the partner's proposal page shows besides the proposal: the approver's note, the
    issue's desired period and budget (None when not given), and the ward contact."""
    issue = proposal.issue
    return {
        "note": proposal.decision.comment if proposal.decision else "",
        "period": (issue.desired_start, issue.desired_end)
        if issue.desired_start or issue.desired_end
        else None,
        "budget": (issue.budget_min, issue.budget_max)
        if issue.budget_min is not None or issue.budget_max is not None
        else None,
        "ward_contact": ward_contact(proposal),
    }


def proposal_for_page() -> QuerySet[Proposal]:
    return Proposal.objects.select_related(
        "issue__ward",
        "issue__field",
        "issue__coordinator__ward",
        "created_by__ward",
        "resource",
        "organization",
        "decision",
    )


def with_reach(
    proposals: QuerySet[Proposal], *, unreachable_only: bool = False
) -> QuerySet[Proposal]:
    """`proposals` with `reach_members` and `reach_contacts` from their Outreach (None: sent
    before reach was recorded); `unreachable_only` keeps those that reached no one."""
    outreach = Outreach.objects.filter(
        topic=Outreach.Topic.PROPOSAL,
        topic_id=OuterRef("pk"),
        organization_id=OuterRef("organization_id"),
    )
    annotated = proposals.annotate(
        reach_members=Subquery(outreach.values("members")[:1]),
        reach_contacts=Subquery(outreach.values("contacts")[:1]),
    )
    return annotated.filter(reach_members=0, reach_contacts=0) if unreachable_only else annotated


def unreachable_proposals(user: User) -> QuerySet[Proposal]:
    """Proposals still waiting for an answer that reached no one: the coordinator's task."""
    return with_reach(
        proposals_for_staff(user).filter(status=Proposal.Status.SENT), unreachable_only=True
    )


def card_unreachable(user: User) -> dict[str, Any]:
    """The coordinator's task card: proposals and event invitations that reached no one."""
    from matching.events.models import Event, EventStatus

    events = Event.objects.filter(status=EventStatus.OPEN)
    if user.role != Role.ADMIN:
        events = events.filter(Q(created_by=user) | Q(wards=user.ward_id)).distinct()
    invitations = Outreach.objects.filter(
        topic=Outreach.Topic.EVENT, members=0, contacts=0, topic_id__in=events.values("pk")
    ).select_related("organization")
    return {
        "proposals": unreachable_proposals(user).count(),
        "invitations": [
            {"organization": row.organization, "event_id": row.topic_id}
            for row in invitations.order_by("-sent_at")[:5]
        ],
        "invitation_total": invitations.count(),
    }
