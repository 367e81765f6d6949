"""Object permissions of evaluation (django-rules; vocabulary in portal/permissions.py).

- Evaluation records, the committee and the reports are kept by evaluators and admins.
- A project's continuation (1 and 2 years after its start) is also recorded by a coordinator
  of the project's ward (any coordinator for a ward-independent project): recording 「終了」
  closes the project, so another ward's coordinator may not.
"""

from __future__ import annotations

import rules

from portal.permissions import is_admin, is_coordinator, is_evaluator, of_own_ward

can_edit_evaluation = is_admin | is_evaluator
can_record_continuation = can_edit_evaluation | (is_coordinator & of_own_ward)

rules.add_perm("evaluation.edit_evaluation", can_edit_evaluation)
rules.add_perm("evaluation.manage_reports", can_edit_evaluation)
rules.add_perm("evaluation.manage_committee", can_edit_evaluation)
rules.add_perm("evaluation.record_continuation", can_record_continuation)
