"""Staff decisions on candidates (要確認・承認・保留・却下) and who may take them."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.models import Issue
from matching.models import (
    Candidate,
    Decision,
)
from matching.permissions import can_approve, can_decide
from matching.proposals.services import deadline_check, proposal_create
from portal.locking import Conflict
from portal.models import Role, User
from portal.services import notification_send

logger = logging.getLogger(__name__)

CONFLICT_MESSAGE = gettext_lazy(
    "この候補は他の職員が先に更新しました。画面を更新して最新の内容を確認してください。"
)
REJECT_REASONS = [
    ("field_mismatch", gettext_lazy("分野・内容が合わない")),
    ("ward", gettext_lazy("対象地域が合わない")),
    ("period", gettext_lazy("時期が合わない")),
    ("capacity", gettext_lazy("規模・受入余力が足りない")),
    ("cost", gettext_lazy("費用・条件が合わない")),
    ("duplicate", gettext_lazy("既に別の連携で対応中")),
    ("other", gettext_lazy("その他")),
]


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
    if verdict not in allowed_verdicts(user, issue):
        raise PermissionDenied
    if verdict == Decision.Verdict.APPROVED and deadline is not None:
        deadline_check(deadline)
    if verdict == Decision.Verdict.REJECTED and not reason:
        raise ValidationError(_("却下の理由を選んでください。"))
    if reason and reason not in dict(REJECT_REASONS):
        raise ValidationError(_("理由の値が不正です。"))
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
            # Everyone can_approve lets act: the ward's approvers and those of no ward
            # (every approver for an issue without a ward).
            approvers = User.objects.filter(role=Role.APPROVER, is_active=True)
            if issue.ward_id is not None:
                approvers = approvers.filter(Q(ward_id=issue.ward_id) | Q(ward__isnull=True))
            recipients = list(approvers)
            if recipients:
                notification_send(
                    recipients=recipients,
                    message=_("承認依頼: %(issue)s × %(resource)s")
                    % {"issue": issue.title, "resource": candidate.resource.title},
                    url=reverse("matching:issue_review", args=[issue.pk]),
                    email=False,
                )
    return decision


def candidate_shortlist(
    *, candidate: Candidate, user: User, expected_version: int, shortlisted: bool
) -> Candidate:
    if not can_decide(user, candidate.issue):
        raise PermissionDenied
    with transaction.atomic():
        _bump(candidate, expected_version, shortlisted=shortlisted)
    return candidate
