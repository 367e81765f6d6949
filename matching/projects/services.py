"""Collaboration projects (連携事業): creation, lifecycle, and their funding and outside support."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Issue
from issues.services import issue_project_started
from matching.models import Proposal
from matching.projects.models import CoordinatorBudget, ExternalSupport, Grant, Project
from partners.models import Resource
from portal.history import history_stamp
from portal.models import User

PROJECT_TRANSITIONS: dict[str, set[Project.Status]] = {
    Project.Status.PREPARING: {Project.Status.RUNNING, Project.Status.CANCELLED},
    Project.Status.RUNNING: {Project.Status.COMPLETED, Project.Status.CANCELLED},
    Project.Status.COMPLETED: {Project.Status.RUNNING},
    Project.Status.CANCELLED: {Project.Status.PREPARING},
}


def project_create(
    *,
    title: str,
    issues: list[Issue],
    organizations: list,
    start_date: datetime.date,
    created_by: User | None = None,
    summary: str = "",
    proposal: Proposal | None = None,
    resource: Resource | None = None,
    ward=None,
    field=None,
    coordinator: User | None = None,
    status: str = Project.Status.PREPARING,
    end_date: datetime.date | None = None,
    public_cost: int = 0,
    partner_cost: int = 0,
    in_kind_value: int = 0,
    participants: int = 0,
    beneficiaries: int = 0,
) -> Project:
    """A collaboration project (連携事業); its issues move to 連携中."""
    if not title.strip():
        raise ValidationError(_("事業名を入力してください。"))
    if end_date and end_date < start_date:
        raise ValidationError(_("終了日は開始日より後にしてください。"))
    if status not in Project.Status.values:
        raise ValidationError(_("状態の値が不正です。"))
    with transaction.atomic():
        project = Project.objects.create(
            title=title.strip()[:200],
            summary=summary,
            proposal=proposal,
            resource=resource,
            ward=ward,
            field=field,
            coordinator=coordinator,
            start_date=start_date,
            end_date=end_date,
            status=status,
            public_cost=public_cost,
            partner_cost=partner_cost,
            in_kind_value=in_kind_value,
            participants=participants,
            beneficiaries=beneficiaries,
        )
        project.issues.set(issues)
        project.organizations.set(organizations)
        if status != Project.Status.CANCELLED:
            for issue in issues:
                # The issues workflow writes the status; the caller's object follows it.
                moved = issue_project_started(issue=issue, started_by=created_by)
                issue.status, issue.status_changed_at = moved.status, moved.status_changed_at
                issue.version = moved.version
    return project


def project_status_change(*, project: Project, status: str, changed_by: User | None) -> Project:
    """Move a project along its lifecycle (evaluation calls this too)."""
    if status == project.status:
        return project
    if status not in PROJECT_TRANSITIONS.get(project.status, set()):
        raise ValidationError(
            _("「%(from)s」から「%(to)s」には変更できません。")
            % {"from": project.get_status_display(), "to": Project.Status(status).label}
        )
    with transaction.atomic():
        project.status = status
        fields = ["status"]
        if status in (Project.Status.COMPLETED, Project.Status.CANCELLED) and not project.end_date:
            project.end_date = timezone.localdate()
            fields.append("end_date")
        history_stamp(project, changed_by)
        project.save(update_fields=fields)
    return project


def external_support_create(*, data: dict[str, Any], created_by: User) -> ExternalSupport:
    if data.get("started_on") and data.get("ended_on") and data["ended_on"] < data["started_on"]:
        raise ValidationError({"ended_on": _("終了日は開始日以降にしてください。")})
    support = ExternalSupport(created_by=created_by, **data)
    support.full_clean()
    support.save()
    return support


def budget_set(*, coordinator: User, fiscal_year: int, amount: int) -> CoordinatorBudget:
    if coordinator.role != "coordinator":
        raise ValidationError(_("予算はコーディネーターにだけ設定できます。"))
    with transaction.atomic():
        budget, _created = CoordinatorBudget.objects.select_for_update().get_or_create(
            coordinator=coordinator, fiscal_year=fiscal_year, defaults={"amount": amount}
        )
        granted = budget.grants.aggregate(total=Sum("amount"))["total"] or 0
        if amount < granted:
            raise ValidationError(
                _("交付済みの助成額（%(granted)s円）より少ない予算にはできません。")
                % {"granted": f"{granted:,}"}
            )
        budget.amount = amount
        budget.save()
    return budget


def budget_remaining(budget: CoordinatorBudget) -> int:
    granted = budget.grants.aggregate(total=Sum("amount"))["total"] or 0
    return budget.amount - granted


@transaction.atomic
def grant_award(*, budget: CoordinatorBudget, data: dict[str, Any], created_by: User) -> Grant:
    """Award a small grant; one that exceeds the remaining balance is refused."""
    budget = CoordinatorBudget.objects.select_for_update().get(pk=budget.pk)
    amount = int(data.get("amount") or 0)
    if amount <= 0:
        raise ValidationError({"amount": _("助成額は1円以上にしてください。")})
    remaining = budget_remaining(budget)
    if amount > remaining:
        raise ValidationError(
            {
                "amount": _(
                    "予算残額（%(remaining)s円）を超えるため交付できません。助成額を見直してください。"
                )
                % {"remaining": f"{remaining:,}"}
            }
        )
    grant = Grant(budget=budget, created_by=created_by, **data)
    grant.full_clean()
    grant.save()
    return grant
