"""Object permissions of partners (django-rules; vocabulary in portal/permissions.py).

Registrations are reviewed (approve, ask for changes, reject, suspend, merge) by coordinators,
approvers and admins; evaluators read the registry only.
"""

from __future__ import annotations

import rules

from portal.permissions import is_admin, is_approver, is_coordinator

can_review_organization = is_admin | is_approver | is_coordinator

rules.add_perm("partners.review_organization", can_review_organization)
