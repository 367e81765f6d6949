"""The one declared list of an issue's fields, in the order a person reads them.

The registration form, the set `issue_update` may write, the change history and the
import/export columns are all derived from `ISSUE_FIELDS`: adding a field to `Issue` means one
line here (and its widget or alias where it needs one), not edits in four lists that drift.
Required import columns come first, in the order of DESIGN.md (ref,title,description,ward,
category).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IssueField:
    name: str  # the model attribute
    column: str | None  # the import/export column (canonical English name); None: not in files
    required_column: bool = False  # a file without this column is refused
    form: bool = True  # on the registration form (and the edit form unless create_only)
    create_only: bool = False  # set once at registration: the reference, the first status
    editable: bool = True  # written by issues.services.issue_update
    history: bool = True  # listed in the issue's change history


ISSUE_FIELDS: tuple[IssueField, ...] = (
    IssueField("ref", "ref", required_column=True, create_only=True, editable=False, history=False),
    IssueField("title", "title", required_column=True),
    IssueField("description", "description", required_column=True),
    # English for the public page (portal.localcontent); not in import/export files.
    IssueField("title_en", None),
    IssueField("summary_en", None),
    IssueField("ward", "ward", required_column=True),
    IssueField("field", "category", required_column=True),
    IssueField("area", "area"),
    IssueField("urgency", "urgency"),
    IssueField("importance", "importance"),
    IssueField("difficulty", "difficulty"),
    # Changed only through the workflow (issue_status_change); the form sets the first one.
    IssueField("status", "status", create_only=True, editable=False),
    IssueField("priority", None, form=False, editable=False),  # computed from the three scores
    IssueField("sdgs", "sdgs"),
    IssueField("target_groups", "target_groups"),
    IssueField("source", "source"),
    IssueField("evidence", "evidence"),
    IssueField("desired_resource_kinds", "desired_resource_kinds"),
    IssueField("budget_min", "budget_min"),
    IssueField("budget_max", "budget_max"),
    IssueField("desired_start", "desired_start"),
    IssueField("desired_end", "desired_end"),
    IssueField("latitude", "latitude"),
    IssueField("longitude", "longitude"),
    IssueField("coordinator", None),
    IssueField("internal_note", None),
)

FORM_FIELDS = [f.name for f in ISSUE_FIELDS if f.form]
CREATE_ONLY_FIELDS = [f.name for f in ISSUE_FIELDS if f.create_only]
EDITABLE_FIELDS = [f.name for f in ISSUE_FIELDS if f.editable]
HISTORY_FIELDS = [f.name for f in ISSUE_FIELDS if f.history]
COLUMNS = [f.column for f in ISSUE_FIELDS if f.column]
REQUIRED_COLUMNS = [f.column for f in ISSUE_FIELDS if f.column and f.required_column]
# The file column of each model attribute, where the two names differ (field → "category").
ATTRIBUTE_COLUMN = {f.name: f.column for f in ISSUE_FIELDS if f.column and f.column != f.name}
