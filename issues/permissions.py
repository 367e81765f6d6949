"""Object-level rules for issues (the view decorators in portal.access decide the roles).

- Every staff role sees every ward's issues: the database is shared so wards learn from each
  other and duplicated effort shows.
- Only coordinators of the issue's ward edit it (ward-independent issues: any coordinator);
  admins edit everything.
- The internal note is for staff of the issue's ward, admins and evaluators.
"""

from __future__ import annotations

from portal.models import STAFF_ROLES, Role


def can_edit(user, issue) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COORDINATOR:
        return False
    return issue.ward_id is None or issue.ward_id == user.ward_id


def can_create(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in {Role.ADMIN, Role.COORDINATOR}


def can_see_internal(user, issue) -> bool:
    if not getattr(user, "is_authenticated", False) or user.role not in STAFF_ROLES:
        return False
    if user.role in {Role.ADMIN, Role.EVALUATOR}:
        return True
    return issue.ward_id is None or issue.ward_id == user.ward_id
