"""Collaboration projects (連携事業): creation, lifecycle, costs, and their funding and outside
support. What either side adds to a project (progress, documents, problems) is in activity.py."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Issue
from issues.services import issue_project_started
from matching.models import Proposal
from matching.permissions import can_manage_project
from matching.projects.models import (
    PROJECT_ENDED,
    CoordinatorBudget,
    ExternalSupport,
    Grant,
    Project,
    ProjectContribution,
    ProjectStatusChange,
)
from partners.models import Resource
from portal.history import history_stamp
from portal.models import User

# Which status may follow which (Project's docstring says what each means). 終了 may be reopened
# as 継続 (the collaboration went on after all) and 中止 restarted from 準備中; the change is kept.
PROJECT_TRANSITIONS: dict[str, set[Project.Status]] = {
    Project.Status.PREPARING: {Project.Status.PILOT, Project.Status.CANCELLED},
    Project.Status.PILOT: {
        Project.Status.ADOPTED,
        Project.Status.CONTINUING,
        Project.Status.COMPLETED,
        Project.Status.CANCELLED,
    },
    Project.Status.CONTINUING: {
        Project.Status.ADOPTED,
        Project.Status.COMPLETED,
        Project.Status.CANCELLED,
    },
    Project.Status.ADOPTED: {Project.Status.COMPLETED, Project.Status.CANCELLED},
    Project.Status.COMPLETED: {Project.Status.CONTINUING},
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
    """A collaboration project (連携事業); its issues move to 連携中.

    The starting cost split (yen) becomes the parties' contributions: ``public_cost`` the ward's
    money, ``partner_cost`` and ``in_kind_value`` the first organisation's (each party's share is
    edited on the project page). The status it starts with is the first row of its history.
    ValidationError for an empty title, dates out of order or organisation costs without an
    organisation.
    """
    if not title.strip():
        raise ValidationError(_("事業名を入力してください。"))
    if end_date and end_date < start_date:
        raise ValidationError(_("終了日は開始日より後にしてください。"))
    if status not in Project.Status.values:
        raise ValidationError(_("状態の値が不正です。"))
    if (partner_cost or in_kind_value) and not organizations:
        raise ValidationError(_("団体負担を記録する連携団体がありません。"))
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
            participants=participants,
            beneficiaries=beneficiaries,
        )
        project.issues.set(issues)
        project.organizations.set(organizations)
        ProjectStatusChange.objects.create(
            project=project,
            to_status=status,
            changed_on=min(start_date, timezone.localdate()),
            changed_by=created_by,
        )
        if public_cost:
            ProjectContribution.objects.create(project=project, cash=public_cost)
        if partner_cost or in_kind_value:
            ProjectContribution.objects.create(
                project=project,
                organization=organizations[0],
                cash=partner_cost,
                in_kind=in_kind_value,
            )
        project_costs_recount(project, changed_by=created_by)
        if status != Project.Status.CANCELLED:
            for issue in issues:
                # The issues workflow writes the status; the caller's object follows it.
                moved = issue_project_started(issue=issue, started_by=created_by)
                issue.status, issue.status_changed_at = moved.status, moved.status_changed_at
                issue.version = moved.version
    return project


def _may_manage(user: User | None, project: Project) -> None:
    """``user`` None is the system (a scheduled job, the demo data); anyone else needs the
    matching.manage_project permission, the same one the project page's forms check."""
    if user is not None and not can_manage_project(user, project):
        raise PermissionDenied(_("この連携事業を変更する権限がありません。"))


def project_status_change(
    *,
    project: Project,
    status: str,
    changed_by: User | None,
    on: datetime.date | None = None,
    note: str = "",
) -> Project:
    """Move a project along its lifecycle (PROJECT_TRANSITIONS) and keep the step.

    ``on`` is the day the change took effect (default today, Tokyo): not in the future and not
    before the project's previous change. Ending (終了・中止) sets the end date to ``on`` when the
    project has none; reopening clears it. evaluation calls this too (a continuation recorded as
    終了). PermissionDenied without matching.manage_project; ValidationError for a step the
    lifecycle does not allow or a bad date, with nothing changed.
    """
    _may_manage(changed_by, project)
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError(_("変更日に未来の日付は指定できません。"))
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if status == locked.status:
            return locked
        if status not in PROJECT_TRANSITIONS.get(locked.status, set()):
            raise ValidationError(
                _("「%(from)s」から「%(to)s」には変更できません。")
                % {"from": locked.get_status_display(), "to": Project.Status(status).label}
            )
        last = locked.status_changes.order_by("-changed_on").values_list("changed_on", flat=True)
        previous = last.first()
        if previous and on < previous:
            raise ValidationError(
                _("変更日は前回の状態変更（%(day)s）以降にしてください。") % {"day": previous}
            )
        from_status = locked.status
        locked.status = status
        fields = ["status"]
        if status in PROJECT_ENDED and not locked.end_date:
            locked.end_date = on
            fields.append("end_date")
        elif from_status in PROJECT_ENDED and status not in PROJECT_ENDED:
            locked.end_date = None
            fields.append("end_date")
        history_stamp(locked, changed_by, note)
        locked.save(update_fields=fields)
        ProjectStatusChange.objects.create(
            project=locked,
            from_status=from_status,
            to_status=status,
            changed_on=on,
            note=note.strip(),
            changed_by=changed_by,
        )
    project.status, project.end_date = locked.status, locked.end_date
    return project


PROJECT_EDITABLE = (
    "title",
    "summary",
    "start_date",
    "end_date",
    "coordinator",
    "participants",
    "beneficiaries",
)


def project_update(*, project: Project, data: dict[str, Any], changed_by: User) -> Project:
    """Title, summary, period, coordinator and reach (participants, beneficiaries)."""
    _may_manage(changed_by, project)
    start, end = data.get("start_date", project.start_date), data.get("end_date", project.end_date)
    if end and end < start:
        raise ValidationError({"end_date": _("終了日は開始日より後にしてください。")})
    for name in PROJECT_EDITABLE:
        if name in data:
            setattr(project, name, data[name])
    project.full_clean(exclude=["issues", "organizations"])
    history_stamp(project, changed_by)
    project.save()
    return project


def project_costs_recount(project: Project, *, changed_by: User | None = None) -> Project:
    """Write the project's three cost totals (yen) from its contributions and grants.

    公的負担 = the ward's money + the ward's in-kind + grants from coordinator budgets;
    団体負担 = the organisations' money; 現物提供の評価額 = the organisations' in-kind.
    """
    ward, partner = Q(organization__isnull=True), Q(organization__isnull=False)
    sums = project.contributions.aggregate(
        ward_cash=Coalesce(Sum("cash", filter=ward), 0),
        ward_in_kind=Coalesce(Sum("in_kind", filter=ward), 0),
        partner_cash=Coalesce(Sum("cash", filter=partner), 0),
        partner_in_kind=Coalesce(Sum("in_kind", filter=partner), 0),
    )
    granted = project.grants.aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    project.public_cost = sums["ward_cash"] + sums["ward_in_kind"] + granted
    project.partner_cost = sums["partner_cash"]
    project.in_kind_value = sums["partner_in_kind"]
    history_stamp(project, changed_by)
    project.save(update_fields=["public_cost", "partner_cost", "in_kind_value"])
    return project


def project_costs_set(
    *, project: Project, parties: dict[int | None, dict[str, Any]], changed_by: User | None
) -> Project:
    """Set each party's contribution: ``parties`` maps None (the ward) or an organisation's pk
    (one of the project's organisations) to {"cash": yen, "in_kind": yen, "in_kind_note": str};
    ``changed_by`` None is the system (the demo data).

    PermissionDenied without matching.manage_project; ValidationError for an organisation that
    is not part of the project or a negative amount, with nothing changed.
    """
    _may_manage(changed_by, project)
    members = set(project.organizations.values_list("pk", flat=True))
    strangers = [key for key in parties if key is not None and key not in members]
    if strangers:
        raise ValidationError(_("この連携事業の団体ではない団体の負担は記録できません。"))
    for values in parties.values():
        if int(values.get("cash") or 0) < 0 or int(values.get("in_kind") or 0) < 0:
            raise ValidationError(_("金額は0円以上にしてください。"))
    with transaction.atomic():
        # One editor of a project's costs at a time: the totals are recounted from all rows.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        for organization_id, values in parties.items():
            rows = ProjectContribution.objects.filter(project=project)
            stored = (
                rows.filter(organization__isnull=True)
                if organization_id is None
                else rows.filter(organization_id=organization_id)
            ).first()
            contribution = stored or ProjectContribution(
                project=project, organization_id=organization_id
            )
            contribution.cash = int(values.get("cash") or 0)
            contribution.in_kind = int(values.get("in_kind") or 0)
            contribution.in_kind_note = str(values.get("in_kind_note") or "").strip()[:200]
            contribution.updated_by = changed_by
            history_stamp(contribution, changed_by)
            contribution.save()
        project_costs_recount(project, changed_by=changed_by)
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
    # A grant is public money spent on the project: it is part of the project's 公的負担.
    project_costs_recount(grant.project, changed_by=created_by)
    return grant
