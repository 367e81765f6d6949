"""Screens of the coordinator system (支援策②): coordinators, training, meetings, self-assessment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from portal.access import (
    AuthenticatedRequest,
    approver_required,
    coordinator_required,
    staff_required,
)
from portal.coordinators import services as coordination
from portal.coordinators.forms import (
    CertificationForm,
    CoordinatorProfileForm,
    NetworkMeetingForm,
    SelfAssessmentForm,
    TrainingSessionForm,
)
from portal.fiscal import current_fiscal_year, fiscal_year_range
from portal.formtools import form_add_service_errors
from portal.models import (
    CertificationLevel,
    CoordinatorProfile,
    NetworkMeeting,
    Role,
    SkillSelfAssessment,
    TrainingSession,
    User,
)
from portal.once import create_once, created_redirect
from portal.permissions import permission_or_refuse
from portal.support.forms import (
    staff_choices,
)


def _fiscal_year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("fy", ""))
    except ValueError:
        return current_fiscal_year()
    return year if 2000 <= year <= 2100 else current_fiscal_year()


def _year_choices(selected: int) -> list[int]:
    current = current_fiscal_year()
    return sorted({*range(current - 3, current + 1), selected}, reverse=True)


# Breakdown figures that caseload providers report (portal/registry.py), as people read them.
CASELOAD_LABELS = {
    "issues": _lazy("担当中の地域課題"),
    "projects": _lazy("進行中の連携事業"),
    "consultations": _lazy("対応中の相談"),
    "problems": _lazy("対応中の連携事業の課題・トラブル"),
    "resolved_issues": _lazy("年度内に解決した課題"),
}


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- coordinators -----------------------------------------------------------------------------


@staff_required
def coordinator_overview(request: AuthenticatedRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    overview = coordination.ward_overview(fiscal_year=fiscal_year)
    return render(
        request,
        "portal/coordinators/overview.html",
        {
            "overview": overview,
            "figures": coordination.coordination_figures(
                fiscal_year=fiscal_year, overview=overview
            ),
            "fiscal_year": fiscal_year,
            "years": _year_choices(fiscal_year),
        },
    )


@staff_required
def coordinator_detail(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id, role=Role.COORDINATOR)
    fiscal_year = _fiscal_year(request)
    profile = CoordinatorProfile.objects.filter(user=user).first()
    caseload = coordination.caseload_figures(user_ids=[user.pk], fiscal_year=fiscal_year)
    return render(
        request,
        "portal/coordinators/detail.html",
        {
            "person": user,
            "profile": profile,
            "caseload": caseload.get(user.pk, {}),
            "breakdown": [
                (CASELOAD_LABELS.get(key, key), value)
                for key, value in sorted(caseload.get(user.pk, {}).items())
                if key not in {"active", "supported_year"}
            ],
            "target": coordination.TARGET_SUPPORTED_CASES,
            "fiscal_year": fiscal_year,
            "certifications": [
                (row, _level_label(row.level), _level_label(row.previous_level))
                for row in user.certifications.select_related("decided_by")
            ],
            "can_edit": request.user.role == Role.ADMIN or request.user.pk == user.pk,
            "can_certify": request.user.has_perm("portal.certify_coordinator", user),
        },
    )


def _level_label(level: str) -> str:
    return str(CertificationLevel(level).label) if level in CertificationLevel.values else ""


@coordinator_required
def coordinator_edit(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id, role=Role.COORDINATOR)
    if request.user.role != Role.ADMIN and request.user.pk != person.pk:
        raise PermissionDenied
    profile = CoordinatorProfile.objects.filter(user=person).first()
    initial = {"active": True, "wards": [person.ward] if person.ward else []}
    if profile:
        initial = {
            "wards": list(profile.wards.all()),
            "background": profile.background,
            "specialities": list(profile.specialities.all()),
            "introduction": profile.introduction,
            "active": profile.active,
        }
    form = CoordinatorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        wards = list(data.pop("wards"))
        specialities = list(data.pop("specialities"))
        try:
            coordination.coordinator_profile_save(
                user=person,
                data=data,
                wards=wards,
                specialities=specialities,
                changed_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("プロフィールを保存しました。"))
            return redirect("portal:coordinator_detail", user_id=person.pk)
    return render(request, "portal/coordinators/edit.html", {"form": form, "person": person})


@approver_required
def coordinator_certify(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """An approver (of the coordinator's ward, or of none) or an admin decides a coordinator's
    certification level, with its basis; anyone else 403 (portal.certify_coordinator)."""
    person = get_object_or_404(User, pk=user_id, role=Role.COORDINATOR)
    # The same check as the service's: another ward's coordinator, or oneself, is refused here.
    permission_or_refuse(request.user, "portal.certify_coordinator", person)
    basis = coordination.certification_basis(user=person)
    profile = CoordinatorProfile.objects.filter(user=person).first()
    form = CertificationForm(
        request.POST or None,
        initial={
            "level": profile.certification_level if profile else CertificationLevel.NONE,
            "certified_on": timezone.localdate(),
            "training_hours": basis["training_hours"],
            "cases_supported": basis["cases_supported"],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            coordination.coordinator_certify(
                coordinator=person, decided_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("認定を記録しました。"))
            return redirect("portal:coordinator_detail", user_id=person.pk)
    return render(
        request,
        "portal/coordinators/certify.html",
        {"form": form, "person": person, "profile": profile, "basis": basis},
    )


# --- training, meetings, self-assessment ------------------------------------------------------


@staff_required
def training_list(request: AuthenticatedRequest) -> HttpResponse:
    fiscal_year = _fiscal_year(request)
    start, end = fiscal_year_range(fiscal_year)
    sessions = (
        TrainingSession.objects.filter(held_on__gte=start, held_on__lte=end)
        .annotate(
            attendees=Count("attendances"),
            completed=Count("attendances", filter=Q(attendances__completed=True)),
        )
        .order_by("-held_on")
    )
    meetings = NetworkMeeting.objects.filter(held_on__gte=start, held_on__lte=end).select_related(
        "ward"
    )
    return render(
        request,
        "portal/training/list.html",
        {
            "sessions": sessions,
            "meetings": meetings,
            "training": coordination.training_figures(fiscal_year=fiscal_year),
            "assessment": coordination.self_assessment_figures(fiscal_year=fiscal_year),
            "meetings_target": coordination.TARGET_NETWORK_MEETINGS,
            "fiscal_year": fiscal_year,
            "years": _year_choices(fiscal_year),
            "can_edit": request.user.role in {Role.COORDINATOR, Role.ADMIN},
        },
    )


@coordinator_required
def training_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TrainingSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        once = create_once(
            request,
            form,
            name="portal:training_create",
            create=lambda: coordination.training_session_create(
                data=form.cleaned_data, created_by=request.user
            ),
            url=lambda session: reverse("portal:training_detail", args=[session.pk]),
        )
        return created_redirect(request, once, _("研修を登録しました。出席者を記録してください。"))
    return render(request, "portal/training/form.html", {"form": form})


@staff_required
def training_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession, pk=pk)
    attendance = {a.user_id: a for a in session.attendances.all()}
    staff = [
        {"user": user, "attended": user.pk in attendance, "completed": attendance.get(user.pk)}
        for user in staff_choices().select_related("ward")
    ]
    for row in staff:
        row["completed"] = bool(row["completed"] and row["completed"].completed)
    return render(
        request,
        "portal/training/detail.html",
        {
            "session": session,
            "staff": staff,
            "can_edit": request.user.has_perm("portal.record_training_attendance", session),
        },
    )


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit()}


@require_POST
@coordinator_required
def training_attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The session's organiser or an admin records who attended and completed (403 for
    anyone else, and for marking oneself completed: PermissionDenied from the service)."""
    session = get_object_or_404(TrainingSession, pk=pk)
    permission_or_refuse(request.user, "portal.record_training_attendance", session)
    coordination.training_attendance_set(
        session=session,
        attended_ids=_ids(request.POST.getlist("attended")),
        completed_ids=_ids(request.POST.getlist("completed")),
        recorded_by=request.user,
    )
    messages.success(request, _("出席と修了を記録しました。"))
    return redirect("portal:training_detail", pk=session.pk)


@coordinator_required
def meeting_create(request: AuthenticatedRequest) -> HttpResponse:
    form = NetworkMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        once = create_once(
            request,
            form,
            name="portal:meeting_create",
            create=lambda: coordination.network_meeting_create(
                data=form.cleaned_data, created_by=request.user
            ),
            url=lambda meeting: reverse("portal:meeting_detail", args=[meeting.pk]),
        )
        return created_redirect(request, once, _("情報交換会を記録しました。"))
    return render(request, "portal/training/meeting_form.html", {"form": form})


@staff_required
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(NetworkMeeting.objects.select_related("ward"), pk=pk)
    return render(request, "portal/training/meeting_detail.html", {"meeting": meeting})


@staff_required
def self_assessment(request: AuthenticatedRequest) -> HttpResponse:
    fiscal_year = current_fiscal_year()
    current = SkillSelfAssessment.objects.filter(user=request.user, fiscal_year=fiscal_year).first()
    initial = {"level": current.level, "comment": current.comment} if current else {}
    form = SelfAssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        coordination.self_assessment_save(
            user=request.user, fiscal_year=fiscal_year, **form.cleaned_data
        )
        messages.success(request, _("自己評価を保存しました。"))
        return redirect("portal:self_assessment")
    past = SkillSelfAssessment.objects.filter(user=request.user).order_by("-fiscal_year")
    return render(
        request,
        "portal/training/self_assessment.html",
        {"form": form, "fiscal_year": fiscal_year, "past": past},
    )
