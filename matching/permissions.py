"""Object permissions of matching (django-rules; vocabulary in portal/permissions.py).

- Candidates of an issue are decided (要確認・保留・却下) by coordinators of the issue's ward
  (any coordinator for a ward-independent issue) and admins; approved by approvers of that
  ward or of no ward, and admins.
- Runs and engine weights: coordinators and admins.
- An event is run by an admin, its creator, or a coordinator of one of its wards.
- A proposal is answered by a member of the proposed organisation while that organisation is
  approved (a suspended or merged organisation's members can no longer accept); only the ward's
  proposals are answered this way (a partner's own proposal is decided by staff).
- Members of an approved organisation propose to open issues (逆プロポ); coordinators of the
  issue's ward (any coordinator for a ward-independent issue) and admins publish an issue as an
  open call (募集), like every other decision on its candidates.
- A conversation (about a proposal or a project) is between the ward and the organisation:
  admins, coordinators and approvers of the subject's ward (any ward's when it has none), and
  the members of the subject's organisation(s). Evaluators are no party to it. A member of a
  suspended organisation still reads its threads but no longer writes.
- A project (連携事業) is seen by admins and evaluators, by staff of its ward (all staff for a
  ward-independent project), by its own coordinator, and by members of its organisations
  (read-only, plus what they report from their side while their organisation is approved). It is run — status, period, costs,
  documents, problem handling — by admins, evaluators, and coordinators of its ward or its own
  coordinator. Members of its approved organisations report progress, add documents and raise
  problems (one predicate, can_report_on_project).
"""

from __future__ import annotations

import rules

from matching.models import Project, Proposal
from partners.models import Membership, OrgStatus
from portal.permissions import (
    is_admin,
    is_approver,
    is_coordinator,
    is_evaluator,
    is_partner,
    is_staff_member,
    of_own_ward,
)


def subject_ward_id(subject: Proposal | Project) -> int | None:
    """The ward a conversation's subject belongs to (None = ward-independent)."""
    if isinstance(subject, Proposal):
        return subject.issue.ward_id
    return subject.ward_id


def subject_organization_ids(subject: Proposal | Project) -> set[int]:
    """The organisations on the other side of a conversation's subject (read once per object:
    a request asks it for the view and write rules and for the notices)."""
    if isinstance(subject, Proposal):
        return {subject.organization_id}
    known = getattr(subject, "_party_organization_ids", None)
    if known is None:
        known = set(subject.organizations.values_list("pk", flat=True))
        subject._party_organization_ids = known  # type: ignore[attr-defined]
    return known


def _membership(user) -> tuple[int, str] | None:
    """(organisation id, its status) of a partner's membership, or None."""
    return (
        Membership.objects.filter(user=user)
        .values_list("organization_id", "organization__status")
        .first()
    )


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


@rules.predicate
def _proposed_by_the_ward(user, proposal) -> bool:
    return not proposal.from_partner


@rules.predicate
def _of_approved_organization(user) -> bool:
    row = _membership(user)
    return row is not None and row[1] == OrgStatus.APPROVED


@rules.predicate
def _staff_of_subject_ward(user, subject) -> bool:
    ward_id = subject_ward_id(subject)
    return ward_id is None or user.ward_id is None or ward_id == user.ward_id


@rules.predicate
def _member_of_subject_organization(user, subject) -> bool:
    row = _membership(user)
    return row is not None and row[0] in subject_organization_ids(subject)


@rules.predicate
def _member_of_approved_subject_organization(user, subject) -> bool:
    row = _membership(user)
    return (
        row is not None
        and row[1] == OrgStatus.APPROVED
        and row[0] in subject_organization_ids(subject)
    )


@rules.predicate
def _coordinates_project(user, project) -> bool:
    return project.coordinator_id is not None and project.coordinator_id == user.pk


@rules.predicate
def _member_of_project(user, project) -> bool:
    membership = Membership.objects.filter(user=user).only("organization_id").first()
    return (
        membership is not None
        and project.organizations.filter(pk=membership.organization_id).exists()
    )


can_decide = is_admin | (is_coordinator & of_own_ward)
can_approve = is_admin | (is_approver & _approver_of_issue_ward)
can_run_matching = is_admin | is_coordinator
can_see_approvals = is_admin | is_approver
can_manage_event = is_admin | (is_coordinator & _runs_event)
can_answer_proposal = is_partner & _proposed_by_the_ward & _member_of_approved_organization
can_propose = is_partner & _of_approved_organization
can_publish_call = can_decide
_ward_side = is_admin | ((is_coordinator | is_approver) & _staff_of_subject_ward)
can_view_conversation = _ward_side | (is_partner & _member_of_subject_organization)
can_write_conversation = _ward_side | (is_partner & _member_of_approved_subject_organization)

can_manage_project = (
    is_admin | is_evaluator | (is_coordinator & (of_own_ward | _coordinates_project))
)
# Every partner write on a project (progress, documents, problems) asks this one predicate: a
# member of one of its organisations while that organisation is approved. A suspended or
# merged organisation's members still read the project (can_view_project) but write nothing.
can_report_on_project = is_partner & _member_of_approved_subject_organization
can_view_project = (
    can_manage_project | (is_staff_member & of_own_ward) | (is_partner & _member_of_project)
)
can_add_to_project = can_manage_project | can_report_on_project

rules.add_perm("matching.decide_candidate", can_decide)
rules.add_perm("matching.approve_candidate", can_approve)
rules.add_perm("matching.run_matching", can_run_matching)
rules.add_perm("matching.see_approvals", can_see_approvals)
rules.add_perm("matching.manage_event", can_manage_event)
rules.add_perm("matching.answer_proposal", can_answer_proposal)
rules.add_perm("matching.propose_to_issue", can_propose)
rules.add_perm("matching.publish_call", can_publish_call)
rules.add_perm("matching.view_conversation", can_view_conversation)
rules.add_perm("matching.write_conversation", can_write_conversation)
rules.add_perm("matching.view_project", can_view_project)
rules.add_perm("matching.manage_project", can_manage_project)
rules.add_perm("matching.report_progress", can_report_on_project)
# Documents and problems come from either side: the ward's staff or the partner's members.
rules.add_perm("matching.add_to_project", can_add_to_project)
