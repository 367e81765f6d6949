"""Proposals to organisations: created on approval, answered by partners, reminded, expired."""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.models import (
    Decision,
    ExposureLog,
    Proposal,
)
from matching.permissions import can_answer_proposal
from matching.projects.services import project_create
from partners.models import Membership
from portal.models import User
from portal.services import notification_send

logger = logging.getLogger(__name__)

PROPOSAL_DAYS = 14
REMINDER_DAYS = 3


def _partner_users(organization_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=organization_id, user__is_active=True
        ).select_related("user")
    ]


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
            project_create(
                title=f"{issue.title}（{locked.organization.name}）",
                summary=locked.resource.title,
                issues=[issue],
                organizations=[locked.organization],
                start_date=timezone.localdate(),
                proposal=locked,
                resource=locked.resource,
                ward=issue.ward,
                field=issue.field,
                coordinator=issue.coordinator,
                created_by=user,
            )
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
