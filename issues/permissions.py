"""Object-level rules for issues (the view decorators in portal.access decide the roles).

- Every staff role sees every ward's issues: the database is shared so wards learn from each
  other and duplicated effort shows.
- Only coordinators of the issue's ward edit it; admins edit everything.
- A ward-independent issue (区を問わない, no ward) belongs to no ward's coordinators: it is
  edited by the coordinator who registered it or is assigned to it (担当), and by admins, as a
  project is managed by its own coordinator whatever its ward (matching.permissions). So a
  coordinator cannot reach another ward's work by clearing its 区, and a shared issue is not
  changed by whoever of 23 wards gets there first. The same rule holds on every write path:
  the form, the triage screen, the status workflow, scores, assignment, links and each import
  row (import_row_problems).
- The internal note is for staff of the issue's ward, admins and evaluators.
"""

from __future__ import annotations

import rules
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from issues.workflow import (
    CREATE_STATUSES,
    create_refusal,
    transition_allowed,
    transition_refusal,
)
from portal.permissions import (
    is_admin,
    is_coordinator,
    is_evaluator,
    is_staff_member,
    of_own_ward,
)


@rules.predicate
def _of_issue_ward(user, issue) -> bool:
    return issue.ward_id is not None and issue.ward_id == getattr(user, "ward_id", None)


@rules.predicate
def _responsible_for_wardless(user, issue) -> bool:
    """A ward-independent issue that the person registered or is assigned to."""
    return issue.ward_id is None and user.pk in {issue.created_by_id, issue.coordinator_id}


# Predicates (callable as can_edit(user, issue) too) registered as the app's permissions.
can_edit = is_admin | (is_coordinator & (_of_issue_ward | _responsible_for_wardless))
can_create = is_admin | is_coordinator
can_see_internal = is_admin | is_evaluator | (is_staff_member & of_own_ward)

rules.add_perm("issues.edit_issue", can_edit)
rules.add_perm("issues.create_issue", can_create)
rules.add_perm("issues.see_internal_note", can_see_internal)

# Refusing an issue that is, or would become, another ward's (screens and imports alike).
OTHER_WARD_MESSAGE = _lazy("他区の課題は登録・変更できません。")
WARDLESS_MESSAGE = _lazy(
    "区を問わない課題は、登録した人・担当コーディネーター・管理者だけが変更できます。"
)


def refusal_message(issue) -> str:
    """Why the person may not change `issue` (as stored, or as a form or row would leave it)."""
    return str(WARDLESS_MESSAGE if issue.ward_id is None else OTHER_WARD_MESSAGE)


def other_ward_ref_message(ref: str, stored=None) -> str:
    """An import row whose 整理番号 is an issue the person may not change: refused at that
    column (another ward's, or a ward-independent one that is not theirs)."""
    if stored is not None and stored.ward_id is None:
        return _(
            "整理番号「%(ref)s」は区を問わない課題の番号です。区を問わない課題は、登録した人・担当コーディネーター・管理者だけが変更できます（新しい課題なら別の番号にしてください）。"
        ) % {"ref": ref}
    return _(
        "整理番号「%(ref)s」は他区の課題の番号です。他区の課題は変更できません（新しい課題なら別の番号にしてください）。"
    ) % {"ref": ref}


def import_row_problems(*, user, stored, row) -> dict[str, list[str]]:
    """Why an imported row may not be saved, by field (empty when it may).

    The same rules as the screens: the person may edit the stored issue and the issue as the
    row leaves it (so a row can neither change another ward's issue nor move an issue into
    another ward), and a status change follows the workflow. `user` None is a command run by
    the system's operators: the ward rule does not apply, the workflow does.
    """
    problems: dict[str, list[str]] = {}
    if user is not None and stored is not None and not can_edit(user, stored):
        # The 整理番号 is what points at the other ward's issue, whatever the 区 cell says; and
        # nothing of that issue (its status, its ward) is said beyond that it exists.
        return {"ref": [other_ward_ref_message(row.ref, stored)]}
    if user is not None and not can_edit(user, row):
        problems["ward"] = [refusal_message(row)]
    if stored is None and row.status not in CREATE_STATUSES:
        problems["status"] = [create_refusal(row.status)]
    elif stored is not None and not transition_allowed(stored.status, row.status):
        problems["status"] = [transition_refusal(stored.status, row.status)]
    return problems
