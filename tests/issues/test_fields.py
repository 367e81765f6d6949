"""One declared list of an issue's fields (issues/fields.py) drives the form, the editable set,
the history and the file columns: a new model field must be declared there."""

from issues.fields import COLUMNS, EDITABLE_FIELDS, FORM_FIELDS, HISTORY_FIELDS, ISSUE_FIELDS
from issues.forms import IssueForm
from issues.models import Issue
from portal.once import FORM_TOKEN_FIELD

# Written by the system, never by a person: not declared.
BOOKKEEPING = {
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "version",
    "status_changed_at",
    # Derived from the ref and texts on save (portal.identifiers), never a column of the sheet.
    "ref_key",
    "search_text",
}


def test_every_model_field_is_declared_or_bookkeeping():
    declared = {f.name for f in ISSUE_FIELDS}
    model = {f.name for f in Issue._meta.concrete_fields}
    assert model - declared == BOOKKEEPING
    assert declared <= model


def test_the_form_and_the_file_columns_follow_the_declaration():
    # Besides the declared fields, only the hidden one-time token (portal.once) is added.
    assert [f for f in IssueForm().fields if f != FORM_TOKEN_FIELD] == FORM_FIELDS
    assert "ref" not in IssueForm(editing=True).fields
    assert "status" not in IssueForm(editing=True).fields
    assert COLUMNS[:5] == ["ref", "title", "description", "ward", "category"]
    assert "status" not in EDITABLE_FIELDS  # the workflow writes it
    assert {"priority", "status", "internal_note"} <= set(HISTORY_FIELDS)
