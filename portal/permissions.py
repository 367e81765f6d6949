"""The permission vocabulary every app builds on (django-rules predicates, no database).

Each app declares its object permissions in its own `permissions.py` with `rules.add_perm`,
named `<app>.<verb>_<thing>` (`issues.edit_issue`, `matching.answer_proposal`, …); views ask
`request.user.has_perm(name, obj)` (or `permission_or_refuse`), templates
`{% has_perm name user obj as allowed %}`. The view decorators of portal.access still decide
who may open a URL at all; these decide what a person may do to one object.

404 or 403 (one decision, DESIGN "Security by default"): an object the person may not even
see — another organisation's record, another ward's internal item — answers 404 so that its
existence is not revealed; an object they see but may not change (a shared-database issue of
another ward) answers 403 with the reason.
"""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.models import STAFF_ROLES, Role


def _role_is(*roles: str) -> rules.Predicate:
    allowed = frozenset(roles)

    def check(user) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.role in allowed)

    return rules.Predicate(check, name="role in " + "/".join(sorted(allowed)))


is_admin = _role_is(Role.ADMIN)
is_coordinator = _role_is(Role.COORDINATOR)
is_approver = _role_is(Role.APPROVER)
is_evaluator = _role_is(Role.EVALUATOR)
is_partner = _role_is(Role.PARTNER)
is_staff_member = _role_is(*STAFF_ROLES)


@rules.predicate
def of_own_ward(user, obj) -> bool:
    """The object belongs to the person's ward, or to no ward (ward-independent)."""
    ward_id = getattr(obj, "ward_id", None)
    return ward_id is None or ward_id == getattr(user, "ward_id", None)


@rules.predicate
def certifies_within_ward(user, coordinator) -> bool:
    """The coordinator works for the approver's ward (User.ward), or the approver works for no
    single ward and so certifies every ward's. A coordinator of no ward is certified by an
    approver of no ward (or an admin): a ward's approver has no say over staff outside it.
    Without a coordinator (may this person certify at all?) only the role counts."""
    if coordinator is None:
        return True
    return user.ward_id is None or user.ward_id == coordinator.ward_id


@rules.predicate
def is_themself(user, person) -> bool:
    return person is not None and person.pk == user.pk


# A coordinator's certification level (初級・中級・上級) is set by someone else: admins, and
# approvers for their own ward's coordinators; never the coordinator themself (their
# self-assessment is a separate record), whatever role they hold. Another ward's coordinator is
# seen (the coordinator pages are open to all staff) but not certified: 403.
can_certify_coordinator = (is_admin | (is_approver & certifies_within_ward)) & ~is_themself
rules.add_perm("portal.certify_coordinator", can_certify_coordinator)


@rules.predicate
def organises_session(user, session) -> bool:
    """The person created (and so runs) the training session; a session nobody owns (demo,
    created by the system) is recorded by admins only."""
    return session.created_by_id is not None and session.created_by_id == user.pk


# 研修の出席・修了: recorded by the session's organiser (the coordinator who created it) and by
# admins. Completed hours feed certification (certification_basis), so nobody records their
# own completion (portal.coordinators.services.training_attendance_set refuses it).
can_record_training_attendance = is_admin | (is_coordinator & organises_session)
rules.add_perm("portal.record_training_attendance", can_record_training_attendance)

# 個別相談会: a coordinator runs their own ward's advice-session slots; admins every ward's.
rules.add_perm("portal.manage_advice_slot", is_admin | (is_coordinator & of_own_ward))


def permission_or_refuse(user, perm: str, obj=None, *, hidden: bool = False) -> None:
    """Raise unless `user` has `perm` on `obj`: Http404 for an object they may not see
    (`hidden`), PermissionDenied otherwise. portal.access logs either refusal."""
    if not user.has_perm(perm, obj):
        raise Http404 if hidden else PermissionDenied
