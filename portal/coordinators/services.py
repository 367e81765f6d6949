"""Coordinator system (支援策②): profiles, certification, caseload, training, network meetings,
self-assessment.

Writes are the ``*_save`` / ``*_create`` / ``*_set`` functions; the rest are reads. The figures
for the evaluation report come from :func:`coordination_figures` (re-exported by
``portal.selectors``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import registry
from portal.fiscal import current_fiscal_year, fiscal_year_instants, fiscal_year_range
from portal.history import history_stamp
from portal.models import (
    STAFF_ROLES,
    Certification,
    CertificationLevel,
    CoordinatorProfile,
    NetworkMeeting,
    Role,
    SkillLevel,
    SkillSelfAssessment,
    TrainingAttendance,
    TrainingSession,
    User,
    Ward,
)
from portal.permissions import can_certify_coordinator, can_record_training_attendance
from portal.rounding import half_up

# Targets from the seed (DESIGN.md, pillar 2).
TARGET_COORDINATORS = 30
TARGET_SUPPORTED_CASES = 15
TARGET_TRAINING_SESSIONS = 24
TARGET_NETWORK_MEETINGS = 6
TARGET_TRAINED_SHARE = 0.5
TARGET_SUFFICIENT_SHARE = 0.7


def _share(part: int, whole: int) -> Decimal | None:
    """``part / whole`` unrounded: whoever shows it rounds once (portal.rounding), never twice."""
    return Decimal(part) / Decimal(whole) if whole else None


# --- caseload ---------------------------------------------------------------------------------


def caseload_figures(*, user_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """Every registered provider's figures, summed per user and figure key."""
    merged: dict[int, dict[str, int]] = {uid: defaultdict(int) for uid in user_ids}
    if not user_ids:
        return {}
    for provider in registry.caseload_providers():
        for uid, figures in provider(list(user_ids), fiscal_year).items():
            if uid not in merged:
                continue
            for key, value in figures.items():
                merged[uid][key] += int(value)
    return {uid: dict(figures) for uid, figures in merged.items()}


def consultation_caseload(user_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """portal's own provider: consultations assigned to each coordinator."""
    from portal.models import ConsultationRequest, ConsultationStatus

    start, end = fiscal_year_instants(fiscal_year)
    rows = (
        ConsultationRequest.objects.filter(assigned_to_id__in=user_ids)
        .values("assigned_to_id")
        .annotate(
            active=Count("pk", filter=~Q(status=ConsultationStatus.DONE)),
            year=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        )
    )
    return {
        row["assigned_to_id"]: {
            "active": row["active"],
            "consultations": row["active"],
            "supported_year": row["year"],
        }
        for row in rows
    }


def coordinators_qs() -> QuerySet[User]:
    """Active coordinator users (with or without a profile yet)."""
    return User.objects.filter(role=Role.COORDINATOR, is_active=True)


def coordinator_rows(*, fiscal_year: int, ward: Ward | None = None) -> list[dict[str, Any]]:
    """One row per coordinator: user, profile, wards served and caseload figures."""
    users = list(
        coordinators_qs()
        .select_related("ward", "coordinator_profile")
        .prefetch_related("coordinator_profile__wards", "coordinator_profile__specialities")
        .order_by("ward__code", "username")
    )
    rows: list[dict[str, Any]] = []
    for user in users:
        profile = getattr(user, "coordinator_profile", None)
        wards = list(profile.wards.all()) if profile else []
        if not wards and user.ward:
            wards = [user.ward]
        if ward is not None and ward not in wards:
            continue
        rows.append({"user": user, "profile": profile, "wards": wards})
    figures = caseload_figures(user_ids=[row["user"].pk for row in rows], fiscal_year=fiscal_year)
    for row in rows:
        row["caseload"] = figures.get(row["user"].pk, {})
        row["active"] = row["caseload"].get("active", 0)
        row["supported_year"] = row["caseload"].get("supported_year", 0)
        row["meets_target"] = row["supported_year"] >= TARGET_SUPPORTED_CASES
    return rows


def ward_overview(*, fiscal_year: int) -> dict[str, Any]:
    """Coordinators per ward across the 23 wards, and the total against the target of 30."""
    rows = coordinator_rows(fiscal_year=fiscal_year)
    per_ward: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for ward in row["wards"]:
            per_ward[ward.pk].append(row)
    wards = [
        {
            "ward": ward,
            "coordinators": len(per_ward[ward.pk]),
            "supported_year": sum(r["supported_year"] for r in per_ward[ward.pk]),
            "active": sum(r["active"] for r in per_ward[ward.pk]),
        }
        for ward in Ward.objects.order_by("code")
    ]
    total = len(rows)
    supported = [row["supported_year"] for row in rows]
    return {
        "rows": rows,
        "wards": wards,
        "total": total,
        "target": TARGET_COORDINATORS,
        "wards_without": sum(1 for w in wards if not w["coordinators"]),
        "average_supported": half_up(Decimal(sum(supported)) / total, 1) if total else None,
        "target_supported": TARGET_SUPPORTED_CASES,
    }


def coordinator_least_loaded(*, ward: Ward | None) -> User | None:
    """The coordinator of ``ward`` with the fewest open cases (any coordinator when none)."""
    candidates = coordinators_qs()
    if ward is not None:
        in_ward = candidates.filter(
            Q(ward=ward) | Q(coordinator_profile__wards=ward, coordinator_profile__active=True)
        ).distinct()
        if in_ward.exists():
            candidates = in_ward
    users = list(candidates.order_by("username"))
    if not users:
        return None
    figures = caseload_figures(user_ids=[u.pk for u in users], fiscal_year=current_fiscal_year())
    return min(users, key=lambda u: (figures.get(u.pk, {}).get("active", 0), u.username))


@transaction.atomic
def coordinator_profile_save(
    *,
    user: User,
    data: dict[str, Any],
    wards: list[Ward],
    specialities: list,
    changed_by: User | None = None,
) -> CoordinatorProfile:
    """Create or update `user`'s coordinator profile; `changed_by` None is the system.

    The certification is not part of the profile's data: it changes only through
    :func:`coordinator_certify` (an approver's or admin's decision with its basis).
    """
    if user.role != Role.COORDINATOR:
        raise ValidationError(_("コーディネーターの役割を持つ職員だけにプロフィールを作れます。"))
    profile = CoordinatorProfile.objects.filter(user=user).first() or CoordinatorProfile(user=user)
    for name in ("background", "introduction", "active"):
        if name in data:
            setattr(profile, name, data[name])
    history_stamp(profile, changed_by)
    profile.save()
    profile.wards.set(wards)
    profile.specialities.set(specialities)
    return profile


# --- certification ----------------------------------------------------------------------------


def certification_basis(*, user: User, fiscal_year: int | None = None) -> dict[str, Any]:
    """What an approver looks at before certifying: hours of training sessions `user`
    completed (all years, Decimal) and cases supported in the fiscal year (caseload figures)."""
    fiscal_year = fiscal_year or current_fiscal_year()
    hours = TrainingAttendance.objects.filter(user=user, completed=True).aggregate(
        total=Sum("session__hours")
    )["total"]
    figures = caseload_figures(user_ids=[user.pk], fiscal_year=fiscal_year).get(user.pk, {})
    return {
        "training_hours": hours or Decimal(0),
        "cases_supported": figures.get("supported_year", 0),
        "fiscal_year": fiscal_year,
    }


def coordinator_certify(
    *,
    coordinator: User,
    level: str,
    certified_on: datetime.date,
    training_hours: Decimal,
    cases_supported: int,
    assessment: str,
    decided_by: User,
) -> Certification:
    """An approver or admin sets `coordinator`'s certification level, recording its basis.

    The decision is kept as a Certification row (never edited) and shown on the profile.
    PermissionDenied for anyone without portal.certify_coordinator on `coordinator` — the
    coordinator themself, and an approver of another ward, included; ValidationError for a missing assessment, a date in the future or a
    negative basis, with nothing changed.
    """
    if not can_certify_coordinator(decided_by, coordinator):
        raise PermissionDenied(
            _("認定レベルは、担当区の承認者と管理者だけが変更できます（本人は変更できません）。")
        )
    if coordinator.role != Role.COORDINATOR:
        raise ValidationError(_("認定できるのはコーディネーターだけです。"))
    if level not in CertificationLevel.values:
        raise ValidationError({"level": _("認定レベルを選んでください。")})
    if certified_on > timezone.localdate():
        raise ValidationError({"certified_on": _("認定日に未来の日付は指定できません。")})
    if training_hours < 0 or cases_supported < 0:
        raise ValidationError(_("研修時間と案件数は0以上にしてください。"))
    if not assessment.strip():
        raise ValidationError({"assessment": _("認定の根拠となる評価の所見を入力してください。")})
    with transaction.atomic():
        profile, _created = CoordinatorProfile.objects.select_for_update().get_or_create(
            user=coordinator, defaults={"active": True}
        )
        certification = Certification.objects.create(
            coordinator=coordinator,
            level=level,
            previous_level=profile.certification_level,
            certified_on=certified_on,
            training_hours=training_hours,
            cases_supported=cases_supported,
            assessment=assessment.strip(),
            decided_by=decided_by,
        )
        profile.certification_level = level
        profile.certified_on = None if level == CertificationLevel.NONE else certified_on
        history_stamp(profile, decided_by, gettext_lazy("認定の決定"))
        profile.save(update_fields=["certification_level", "certified_on", "updated_at"])
    return certification


# --- training, meetings, self-assessment ------------------------------------------------------


def training_session_create(*, data: dict[str, Any], created_by: User | None) -> TrainingSession:
    return TrainingSession.objects.create(created_by=created_by, **data)


@transaction.atomic
def training_attendance_set(
    *,
    session: TrainingSession,
    attended_ids: set[int],
    completed_ids: set[int],
    recorded_by: User,
) -> None:
    """Replace the session's attendance: who attended, and who of them completed.

    `recorded_by` must hold portal.record_training_attendance (the session's organiser or an
    admin). Their own completion is never theirs to record (completed hours feed
    certification_basis): it stays as someone else recorded it, and asking to mark themself
    completed raises PermissionDenied with nothing changed.
    """
    if not can_record_training_attendance(recorded_by, session):
        raise PermissionDenied(
            _("この研修の出席と修了は、研修の担当者と管理者だけが記録できます。")
        )
    own = session.attendances.filter(user=recorded_by).first()
    own_completed = bool(own and own.completed)
    if recorded_by.pk in completed_ids and not own_completed:
        raise PermissionDenied(
            _("自分の修了は記録できません。研修の担当者か管理者に記録を依頼してください。")
        )
    completed_ids = (completed_ids - {recorded_by.pk}) | (
        {recorded_by.pk} if own_completed else set()
    )
    staff_ids = set(
        User.objects.filter(pk__in=attended_ids | completed_ids, role__in=STAFF_ROLES).values_list(
            "pk", flat=True
        )
    )
    attended = (attended_ids | completed_ids) & staff_ids
    session.attendances.exclude(user_id__in=attended).delete()
    for uid in attended:
        TrainingAttendance.objects.update_or_create(
            session=session, user_id=uid, defaults={"completed": uid in completed_ids}
        )


def network_meeting_create(*, data: dict[str, Any], created_by: User | None) -> NetworkMeeting:
    return NetworkMeeting.objects.create(created_by=created_by, **data)


def self_assessment_save(
    *, user: User, fiscal_year: int, level: str, comment: str = ""
) -> SkillSelfAssessment:
    if user.role not in STAFF_ROLES:
        raise ValidationError(_("自己評価は職員だけが登録できます。"))
    if level not in SkillLevel.values:
        raise ValidationError(_("自己評価の段階を選んでください。"))
    assessment, _created = SkillSelfAssessment.objects.update_or_create(
        user=user, fiscal_year=fiscal_year, defaults={"level": level, "comment": comment}
    )
    return assessment


def staff_qs() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True)


def training_figures(*, fiscal_year: int) -> dict[str, Any]:
    start, end = fiscal_year_range(fiscal_year)
    sessions = TrainingSession.objects.filter(held_on__gte=start, held_on__lte=end)
    staff_total = staff_qs().count()
    trained = (
        TrainingAttendance.objects.filter(session__in=sessions, completed=True, user__in=staff_qs())
        .values("user_id")
        .distinct()
        .count()
    )
    by_format = dict(sessions.values_list("format").annotate(n=Count("pk")).order_by())
    return {
        "sessions": sum(by_format.values()),  # every session has a format: no second count
        "sessions_target": TARGET_TRAINING_SESSIONS,
        "sessions_by_format": by_format,
        "staff_total": staff_total,
        "staff_trained": trained,
        "trained_share": _share(trained, staff_total),
        "trained_share_target": TARGET_TRAINED_SHARE,
    }


def self_assessment_figures(*, fiscal_year: int) -> dict[str, Any]:
    rows = dict(
        SkillSelfAssessment.objects.filter(fiscal_year=fiscal_year, user__in=staff_qs())
        .values_list("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(rows.values())
    sufficient = rows.get(SkillLevel.SUFFICIENT, 0)
    return {
        "responses": total,
        "by_level": [(level.label, rows.get(level.value, 0)) for level in SkillLevel],
        "sufficient": sufficient,
        "sufficient_share": _share(sufficient, total),
        "sufficient_share_target": TARGET_SUFFICIENT_SHARE,
    }


def coordination_figures(
    *, fiscal_year: int, overview: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pillar-2 figures for one fiscal year, as plain numbers for the evaluation report.

    Shares are unrounded Decimals in 0..1 (None when there is nothing to divide by). ``overview`` is
    :func:`ward_overview` of the same year when the caller already has it (the coordinators
    screen shows both; computing the caseload twice was a third of that page's time).
    """
    from portal.models import ConsultationRequest, ConsultationStatus

    start, end = fiscal_year_range(fiscal_year)
    from_instant, to_instant = fiscal_year_instants(fiscal_year)
    if overview is None:
        overview = ward_overview(fiscal_year=fiscal_year)
    training = training_figures(fiscal_year=fiscal_year)
    assessment = self_assessment_figures(fiscal_year=fiscal_year)
    meetings = NetworkMeeting.objects.filter(held_on__gte=start, held_on__lte=end).count()
    consultations = ConsultationRequest.objects.filter(
        created_at__gte=from_instant, created_at__lt=to_instant
    )
    consultation_counts = dict(
        consultations.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return {
        "fiscal_year": fiscal_year,
        "coordinators": overview["total"],
        "coordinators_target": TARGET_COORDINATORS,
        "wards_without_coordinator": overview["wards_without"],
        "supported_cases_per_coordinator": overview["average_supported"],
        "supported_cases_target": TARGET_SUPPORTED_CASES,
        "training_sessions": training["sessions"],
        "training_sessions_target": TARGET_TRAINING_SESSIONS,
        "staff_total": training["staff_total"],
        "staff_trained": training["staff_trained"],
        "staff_trained_share": training["trained_share"],
        "staff_trained_share_target": TARGET_TRAINED_SHARE,
        "network_meetings": meetings,
        "network_meetings_target": TARGET_NETWORK_MEETINGS,
        "self_assessment_responses": assessment["responses"],
        "skills_sufficient_share": assessment["sufficient_share"],
        "skills_sufficient_share_target": TARGET_SUFFICIENT_SHARE,
        "consultations": sum(consultation_counts.values()),
        "consultations_done": consultation_counts.get(ConsultationStatus.DONE, 0),
    }
