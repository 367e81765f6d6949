"""Object permissions of matching (django-rules; vocabulary in portal/permissions.py).

- Candidates of an issue are decided (要確認・保留・却下) by coordinators of the issue's ward
  (any coordinator for a ward-independent issue) and admins; approved by approvers of that
  ward or of no ward, and admins.
- Runs and engine weights: coordinators and admins.
- An event is run by an admin, its creator, or a coordinator of one of its wards.
- A proposal is answered by a member of the proposed organisation while that organisation is
  approved (a suspended or merged organisation's members can no longer accept).
"""

from __future__ import annotations

import rules

from partners.models import Membership, OrgStatus
from portal.permissions import is_admin, is_approver, is_coordinator, is_partner, of_own_ward


@rules.predicate
def _approver_of_issue_ward(user, issue) -> bool:
    return issue.ward_id is None or user.ward_id is None or issue.ward_id == user.ward_id


@rules.predicate
def _runs_event(user, event) -> bool:
    if event.created_by_id == user.pk:
        return True
    return bool(user.ward_id) and event.wards.filter(pk=user.ward_id).exists()


@rules.predicate
def _member_of_approved_organization(user, proposal) -> bool:
    return Membership.objects.filter(
        user=user,
        organization_id=proposal.organization_id,
        organization__status=OrgStatus.APPROVED,
    ).exists()


can_decide = is_admin | (is_coordinator & of_own_ward)
can_approve = is_admin | (is_approver & _approver_of_issue_ward)
can_run_matching = is_admin | is_coordinator
can_see_approvals = is_admin | is_approver
can_manage_event = is_admin | (is_coordinator & _runs_event)
can_answer_proposal = is_partner & _member_of_approved_organization

rules.add_perm("matching.decide_candidate", can_decide)
rules.add_perm("matching.approve_candidate", can_approve)
rules.add_perm("matching.run_matching", can_run_matching)
rules.add_perm("matching.see_approvals", can_see_approvals)
rules.add_perm("matching.manage_event", can_manage_event)
rules.add_perm("matching.answer_proposal", can_answer_proposal)
