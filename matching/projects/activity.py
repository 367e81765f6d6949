"""What either side adds to a running project: progress reports from the partner's members,
documents, and the problem log (連携開始支援・トラブル対応) the coordinator works through.

Each write checks the permission its form checks (matching/permissions.py): progress comes
from members of the project's approved organisations (matching.report_progress); documents and
problems from them or the ward's staff who run the project (matching.add_to_project); a problem is
handled and resolved by those who run the project (matching.manage_project). Notices and mail
leave after the transaction commits (portal.services.notification_send).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from matching.permissions import can_add_to_project, can_manage_project, can_report_on_project
from matching.projects.models import (
    ProblemStatus,
    ProgressReport,
    Project,
    ProjectDocument,
    ProjectProblem,
)
from partners.models import Membership
from partners.services import organization_locked_reason
from portal.coordinators.services import coordinator_least_loaded
from portal.history import history_stamp
from portal.localtext import LocalText
from portal.models import Role, User
from portal.services import notification_send

# Which problem status may follow which; 解決 may be reopened (対応中) when it comes back.
PROBLEM_TRANSITIONS = {
    ProblemStatus.OPEN: {ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED},
    ProblemStatus.IN_PROGRESS: {ProblemStatus.RESOLVED},
    ProblemStatus.RESOLVED: {ProblemStatus.IN_PROGRESS},
}


def project_url(project: Project) -> str:
    return reverse("matching:project_detail", args=[project.pk])


def _organization_id(user: User) -> int | None:
    membership = Membership.objects.filter(user=user).only("organization_id").first()
    return membership.organization_id if membership else None


def project_write_refusal(user: User, project: Project, default: str = "") -> PermissionDenied:
    """The refusal of a write on `project`: for a member of one of its organisations that may
    not write (suspended, merged, …) the organisation's reason, else `default`."""
    reason = project_locked_reason(user, project) or default
    return PermissionDenied(reason) if reason else PermissionDenied()


def project_locked_reason(user: User, project: Project) -> str:
    """Why a member of one of `project`'s organisations may not report on it ('' when they may,
    or when they are no member): their organisation is suspended, merged or not approved."""
    if user.role != Role.PARTNER or can_report_on_project(user, project):
        return ""
    membership = (
        Membership.objects.filter(user=user, organization__in=project.organizations.all())
        .select_related("organization")
        .first()
    )
    if membership is None:
        return ""
    return organization_locked_reason(
        membership.organization, pending=_("団体の登録が承認されるまで、報告はできません。")
    )


def _partner_members(project: Project) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization__in=project.organizations.all(), user__is_active=True
        ).select_related("user")
    ]


def _not_in_future(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise ValidationError({"reported_on": _("未来の日付は指定できません。")})


# --- progress ---------------------------------------------------------------------------------


def progress_report_add(*, project: Project, user: User, data: dict[str, Any]) -> ProgressReport:
    """A partner member reports progress from their side; the coordinator sees it in-app.

    PermissionDenied for anyone but a member of one of the project's approved organisations
    (a suspended organisation's member is told why: project_write_refusal).
    """
    if not can_report_on_project(user, project):
        raise project_write_refusal(
            user, project, _("この連携事業の進捗を報告できるのは連携団体の担当者です。")
        )
    organization_id = _organization_id(user)
    if organization_id is None:  # can_report_on_project has checked the membership
        raise PermissionDenied
    reported_on = data.get("reported_on") or timezone.localdate()
    _not_in_future(reported_on)
    with transaction.atomic():
        report = ProgressReport.objects.create(
            project=project,
            organization_id=organization_id,
            reported_on=reported_on,
            body=data["body"].strip(),
            next_steps=(data.get("next_steps") or "").strip(),
            reported_by=user,
        )
        if project.coordinator and project.coordinator.is_active:
            notification_send(
                recipients=[project.coordinator],
                message=LocalText(
                    gettext_noop("進捗報告が届きました: %(title)s"), {"title": project.title}
                ),
                url=project_url(project) + "#progress",
                email=False,
            )
    return report


# --- documents --------------------------------------------------------------------------------


def project_document_add(
    *, project: Project, user: User, title: str, upload: UploadedFile
) -> ProjectDocument:
    """Keep a document of the project. ``upload`` has passed portal.uploads.DocumentFileField
    (its bytes are what its name says; ``content_type_checked`` is their type)."""
    if not can_add_to_project(user, project):
        raise project_write_refusal(
            user, project, _("この連携事業に資料を登録する権限がありません。")
        )
    kind = getattr(upload, "content_type_checked", None)
    if not kind:
        raise ValidationError(_("ファイルの形式を確認できませんでした。"))
    return ProjectDocument.objects.create(
        project=project,
        title=title.strip()[:200] or (upload.name or "")[:200],
        file=upload,
        original_name=(upload.name or "document")[:255],
        content_type=kind,
        size=upload.size or 0,
        organization_id=_organization_id(user) if user.role == Role.PARTNER else None,
        uploaded_by=user,
    )


# --- problems ---------------------------------------------------------------------------------


def problem_raise(*, project: Project, user: User, data: dict[str, Any]) -> ProjectProblem:
    """Either side raises a problem; the project's coordinator (or the least loaded coordinator
    of its ward when it has none) is assigned and notified in-app and by mail after commit.

    A problem the ward's staff raise is also told to the partner's members; one a partner
    raises goes to the ward's side only (it may concern another organisation of the project).
    """
    if not can_add_to_project(user, project):
        raise project_write_refusal(
            user, project, _("この連携事業に課題を登録する権限がありません。")
        )
    assigned = (
        project.coordinator if project.coordinator and project.coordinator.is_active else None
    )
    assigned = assigned or coordinator_least_loaded(ward=project.ward)
    with transaction.atomic():
        problem = ProjectProblem(
            project=project,
            kind=data["kind"],
            title=data["title"].strip(),
            description=data["description"].strip(),
            organization_id=_organization_id(user) if user.role == Role.PARTNER else None,
            raised_by=user,
            assigned_to=assigned,
        )
        history_stamp(problem, user)
        problem.save()
        message = LocalText(
            gettext_noop("連携事業に課題が登録されました: %(title)s（%(project)s）"),
            {
                "title": problem.title,
                "project": project.title,
            },
        )
        url = project_url(project) + f"#problem-{problem.pk}"
        recipients = [u for u in {assigned} if u is not None and u != user]
        if user.role != Role.PARTNER:
            recipients += _partner_members(project)
        if recipients:
            notification_send(recipients=recipients, message=message, url=url)
    return problem


def problem_update(
    *, problem: ProjectProblem, user: User, status: str, resolution: str = ""
) -> ProjectProblem:
    """Those who run the project take a problem up (対応中) or resolve it (解決, with what was
    done); the person who raised it is told. ValidationError for a step PROBLEM_TRANSITIONS
    does not allow or a resolution without a record, nothing changed."""
    if not can_manage_project(user, problem.project):
        raise PermissionDenied(_("課題の対応状況を変更する権限がありません。"))
    resolution = resolution.strip()
    with transaction.atomic():
        locked = ProjectProblem.objects.select_for_update().get(pk=problem.pk)
        if status not in PROBLEM_TRANSITIONS.get(ProblemStatus(locked.status), set()):
            raise ValidationError(
                _("「%(from)s」から「%(to)s」には変更できません。")
                % {"from": locked.get_status_display(), "to": ProblemStatus(status).label}
            )
        if status == ProblemStatus.RESOLVED and not resolution:
            raise ValidationError(
                {"resolution": _("解決にするときは対応の記録を入力してください。")}
            )
        locked.status = status
        if resolution:
            locked.resolution = resolution
        if status == ProblemStatus.RESOLVED:
            locked.resolved_at, locked.resolved_by = timezone.now(), user
        else:
            locked.resolved_at, locked.resolved_by = None, None
        if locked.assigned_to_id is None and user.role == Role.COORDINATOR:
            locked.assigned_to = user
        history_stamp(locked, user)
        locked.save()
        raiser = locked.raised_by
        if status == ProblemStatus.RESOLVED and raiser and raiser.is_active and raiser != user:
            notification_send(
                recipients=[raiser],
                message=LocalText(
                    gettext_noop("登録した課題が解決しました: %(title)s"), {"title": locked.title}
                ),
                url=project_url(locked.project) + f"#problem-{locked.pk}",
            )
    return locked
