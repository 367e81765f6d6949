"""Staff decisions (承認依頼・承認・保留・却下) and who may take them.

Two things are decided the same way: a candidate the engine ranked, and a partner's own
proposal (逆プロポ) to an issue. Both check the same verdicts, write the same Decision rows
(the learned ranker's training signal: matching.engine.services.ranker_training_data) and ask
the same approvers; an approval sends the ward's proposal to the organisation (candidate) or
makes the partner's proposal a project (partner proposal).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from issues.models import Issue
from matching.engine.services import engine_version_current
from matching.models import (
    Candidate,
    Decision,
    Proposal,
)
from matching.offers.services import partner_proposal_answer
from matching.permissions import can_approve, can_decide
from matching.proposals.services import deadline_check, proposal_create
from matching.scoring import engine_load, pair_features
from portal.history import history_stamp
from portal.localtext import LocalText
from portal.locking import Conflict
from portal.models import Role, User
from portal.services import notification_send

logger = logging.getLogger(__name__)

CONFLICT_MESSAGE = gettext_lazy(
    "この候補は他の職員が先に更新しました。画面を更新して最新の内容を確認してください。"
)
FINAL_VERDICTS = (Decision.Verdict.APPROVED, Decision.Verdict.REJECTED)
REJECT_REASONS = [
    ("field_mismatch", gettext_lazy("分野・内容が合わない")),
    ("ward", gettext_lazy("対象地域が合わない")),
    ("period", gettext_lazy("時期が合わない")),
    ("capacity", gettext_lazy("規模・受入余力が足りない")),
    ("cost", gettext_lazy("費用・条件が合わない")),
    ("duplicate", gettext_lazy("既に別の連携で対応中")),
    ("other", gettext_lazy("その他")),
]


# The buttons that give a verdict: the same Japanese as the verdict's label, but a verb in
# English ("Reject", where the recorded verdict reads "Rejected"), hence the context.
VERDICT_BUTTONS: dict[str, Promise] = {
    Decision.Verdict.APPROVED: pgettext_lazy("判断のボタン", "承認"),
    Decision.Verdict.REQUESTED: pgettext_lazy("判断のボタン", "承認依頼"),
    Decision.Verdict.HELD: pgettext_lazy("判断のボタン", "保留"),
    Decision.Verdict.REJECTED: pgettext_lazy("判断のボタン", "却下"),
}


def allowed_verdicts(user: User, issue: Issue) -> list[str]:
    verdicts: list[str] = []
    if can_approve(user, issue):
        verdicts.append(Decision.Verdict.APPROVED)
    if can_decide(user, issue):
        verdicts.append(Decision.Verdict.REQUESTED)
    if can_decide(user, issue) or can_approve(user, issue):
        verdicts += [Decision.Verdict.HELD, Decision.Verdict.REJECTED]
    return verdicts


def _bump(candidate: Candidate, expected_version: int, **values: Any) -> None:
    updated = Candidate.objects.filter(pk=candidate.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise Conflict(CONFLICT_MESSAGE)
    candidate.version = expected_version + 1
    for name, value in values.items():
        setattr(candidate, name, value)


def _verdict_check(*, user: User, issue: Issue, verdict: str, reason: str) -> None:
    if verdict not in allowed_verdicts(user, issue):
        raise PermissionDenied
    if verdict == Decision.Verdict.REJECTED and not reason:
        raise ValidationError(_("却下の理由を選んでください。"))
    if reason and reason not in dict(REJECT_REASONS):
        raise ValidationError(_("理由の値が不正です。"))


def _approval_requested(*, issue: Issue, what: str) -> None:
    """Tell everyone can_approve lets act: the ward's approvers and those of no ward (every
    approver for an issue without a ward)."""
    approvers = User.objects.filter(role=Role.APPROVER, is_active=True)
    if issue.ward_id is not None:
        approvers = approvers.filter(Q(ward_id=issue.ward_id) | Q(ward__isnull=True))
    recipients = list(approvers)
    if recipients:
        notification_send(
            recipients=recipients,
            message=LocalText(
                gettext_noop("承認依頼: %(issue)s × %(resource)s"),
                {"issue": issue.title, "resource": what},
            ),
            url=reverse("matching:issue_review", args=[issue.pk]),
            email=False,
        )


def decision_record(
    *,
    candidate: Candidate,
    user: User,
    verdict: str,
    expected_version: int,
    reason: str = "",
    comment: str = "",
    deadline: datetime.date | None = None,
) -> Decision:
    """Record a staff verdict on a candidate; an approval sends a proposal to the organisation,
    answerable until `deadline` (default 14 Tokyo days; see proposals.deadline_check)."""
    issue = candidate.issue
    _verdict_check(user=user, issue=issue, verdict=verdict, reason=reason)
    if verdict == Decision.Verdict.APPROVED and deadline is not None:
        deadline_check(deadline)
    with transaction.atomic():
        _bump(candidate, expected_version, verdict=verdict)
        decision = Decision.objects.create(
            issue=issue,
            resource=candidate.resource,
            candidate=candidate,
            verdict=verdict,
            reason=reason,
            comment=comment.strip(),
            shown_rank=candidate.rank if candidate.current else None,
            shown_score=candidate.score,
            features=(candidate.components or {}).get("features", {}),
            decided_by=user,
        )
        if verdict == Decision.Verdict.APPROVED:
            proposal_create(decision=decision, created_by=user, deadline=deadline)
        elif verdict == Decision.Verdict.REQUESTED:
            _approval_requested(issue=issue, what=candidate.resource.title)
    return decision


def _offered_pairs_features(issue: Issue, resource_ids: list[int]) -> dict[int, dict]:
    """The engine's features of each (issue, resource) pair a partner offered, ranked or not."""
    engine = engine_load() or engine_load(engine_version_current().pk)
    if engine is None:
        return {}
    return pair_features(issue_id=issue.pk, resource_ids=resource_ids, engine=engine)


def partner_proposal_decide(
    *, proposal: Proposal, user: User, verdict: str, reason: str = "", comment: str = ""
) -> Decision:
    """Record a staff verdict on a partner's own proposal, with the candidates' verdicts.

    One Decision per resource the proposal involves (the first is returned and kept on the
    proposal when final), carrying the engine's features of that pair, so the learned ranker
    learns from partners' proposals as from candidates. A final verdict (承認・却下) settles the
    pair: the engine's candidate of the same pair takes it too and is not offered again. 承認 makes the proposal a
    project, 却下 turns it down with the reason (matching.offers.services); 承認依頼 asks the
    approvers; 保留 keeps it waiting. A proposal already answered is refused (ValidationError).
    """
    issue = proposal.issue
    _verdict_check(user=user, issue=issue, verdict=verdict, reason=reason)
    resource_ids = [
        proposal.resource_id,
        *sorted(set(proposal.resources.values_list("pk", flat=True)) - {proposal.resource_id}),
    ]
    features = _offered_pairs_features(issue, resource_ids)
    with transaction.atomic():
        locked = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("issue", "organization", "resource")
            .get(pk=proposal.pk)
        )
        if locked.status != Proposal.Status.SUBMITTED:
            raise ValidationError(
                _("この提案は既に判断済みです（%(status)s）。画面を更新してください。")
                % {"status": locked.get_status_display()}
            )
        candidates = {
            c.resource_id: c
            for c in Candidate.objects.filter(issue=issue, resource_id__in=resource_ids)
        }
        decisions = [
            Decision.objects.create(
                issue=issue,
                resource_id=resource_id,
                candidate=candidates.get(resource_id),
                partner_proposal=locked,
                verdict=verdict,
                reason=reason,
                comment=comment.strip(),
                shown_rank=_shown_rank(candidates.get(resource_id)),
                shown_score=getattr(candidates.get(resource_id), "score", None),
                features=features.get(resource_id, {}),
                decided_by=user,
            )
            for resource_id in resource_ids
        ]
        locked.verdict = verdict
        history_stamp(locked, user, reason=Decision.Verdict(verdict).label)
        locked.save(update_fields=["verdict"])
        if verdict in FINAL_VERDICTS:
            # The pair is settled: the engine's list must not offer it again.
            Candidate.objects.filter(pk__in=[c.pk for c in candidates.values()]).update(
                verdict=verdict, version=F("version") + 1
            )
            label = dict(REJECT_REASONS).get(reason, "")
            partner_proposal_answer(
                proposal=locked,
                decision=decisions[0],
                user=user,
                reason="。".join(str(part) for part in (label, comment.strip()) if part),
            )
        elif verdict == Decision.Verdict.REQUESTED:
            _approval_requested(issue=issue, what=locked.organization.name)
    proposal.status, proposal.verdict = locked.status, locked.verdict
    return decisions[0]


def _shown_rank(candidate: Candidate | None) -> int | None:
    return candidate.rank if candidate is not None and candidate.current else None


def candidate_shortlist(
    *, candidate: Candidate, user: User, expected_version: int, shortlisted: bool
) -> Candidate:
    if not can_decide(user, candidate.issue):
        raise PermissionDenied
    with transaction.atomic():
        _bump(candidate, expected_version, shortlisted=shortlisted)
    return candidate
