"""Reads of partners' proposals: the open issues a partner sees, and the proposals staff review.

Partners see only what the public sees of an issue (issues.selectors.public_issues) plus the
open call; never staff verdicts on candidates, scores or internal notes.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from issues.models import Issue, IssueStatus
from matching.calls.models import OpenCall
from matching.models import Candidate, Decision, Proposal
from partners.models import ResourceStatus
from portal.models import Role, User

FITTING_SHOWN = 10


def issues_fitting(*, organization_id: int, limit: int = FITTING_SHOWN) -> list[Issue]:
    """The 募集中 issues the engine currently ranks the organisation's active resources for,
    best rank first; each issue carries `fitting_resources` (the titles that fit it).

    Pairs staff turned down are left out. Two queries whatever the number of candidates.
    """
    rows = (
        Candidate.objects.filter(
            resource__organization_id=organization_id,
            resource__status=ResourceStatus.ACTIVE,
            issue__status=IssueStatus.OPEN,
            current=True,
        )
        .exclude(verdict=Decision.Verdict.REJECTED)
        .select_related("issue__ward", "issue__field", "resource")
        .order_by("rank", "-score", "pk")[: limit * 5]
    )
    found: dict[int, Issue] = {}
    for candidate in rows:
        issue = found.get(candidate.issue_id)
        if issue is None:
            if len(found) >= limit:
                continue
            issue = found[candidate.issue_id] = candidate.issue
            issue.fitting_resources = []  # type: ignore[attr-defined]
        issue.fitting_resources.append(candidate.resource.title)  # type: ignore[attr-defined]
    calls_attach(list(found.values()))
    return list(found.values())


def calls_attach(issues: list[Issue]) -> list[Issue]:
    """Set `call` (the OpenCall or None) on each issue, in one query."""
    calls = {c.issue_id: c for c in OpenCall.objects.filter(issue__in=[i.pk for i in issues])}
    for issue in issues:
        issue.call = calls.get(issue.pk)  # type: ignore[attr-defined]
    return issues


def partner_proposals_of_issue(issue: Issue) -> list[Proposal]:
    """The organisations' own proposals to `issue` for the review screen, newest first, each
    with its resources, `last_decision` (None before any) and `verdict_label`."""
    proposals = list(
        Proposal.objects.filter(issue=issue, origin=Proposal.Origin.PARTNER)
        .select_related("organization__ward", "resource", "created_by", "open_call", "project")
        .prefetch_related(
            "resources",
            Prefetch(
                "staff_decisions",
                queryset=Decision.objects.select_related("decided_by").order_by(
                    "-decided_at", "-pk"
                ),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    for proposal in proposals:
        decisions = list(proposal.staff_decisions.all())
        proposal.last_decision = decisions[0] if decisions else None  # type: ignore[attr-defined]
        proposal.verdict_label = (  # type: ignore[attr-defined]
            Decision.Verdict(proposal.verdict).label if proposal.verdict else ""
        )
    return proposals


def partner_proposals_waiting(user: User) -> QuerySet[Proposal]:
    """Partners' proposals still 審査中 in the user's wards (all wards for admins)."""
    qs = Proposal.objects.filter(
        origin=Proposal.Origin.PARTNER, status=Proposal.Status.SUBMITTED
    ).select_related("issue__ward", "organization")
    if user.role in (Role.COORDINATOR, Role.APPROVER) and user.ward_id:
        qs = qs.filter(Q(issue__ward_id=user.ward_id) | Q(issue__ward__isnull=True))
    return qs.order_by("created_at", "pk")
