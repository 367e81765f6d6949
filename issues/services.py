"""Writes of the issue database: create, edit (optimistic locking), workflow, scores,
assignment, duplicate links, priority weights and the all-or-nothing import."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from issues import permissions
from issues.fields import ATTRIBUTE_COLUMN, EDITABLE_FIELDS
from issues.models import (
    Issue,
    IssueLink,
    IssueLinkKind,
    IssueStatus,
    PriorityWeights,
)
from issues.priority import Weights, priority_compute, weights_current
from issues.resources import IssueResource
from issues.signals import issue_status_changed
from issues.workflow import (
    PROJECT_NOT_STARTED_FROM,
    PROJECT_STARTED_TO,
    project_start_refusal,
    transition_allowed,
    transition_refusal,
)
from portal.history import history_stamp
from portal.identifiers import reference_key
from portal.locking import row_lock_current
from portal.models import Role, User, Ward
from portal.tabular import (
    ImportOutcome,
    Refusal,
    Sheet,
    cell_refusals,
    refusals_merged,
    refusals_worded,
)
from portal.textengine.embedding import texts_changed

ISSUE_CONFLICT_MESSAGE = _lazy(
    "この課題は、あなたが画面を開いた後に他の人が更新しました。"
    "最新の内容を確認してから、もう一度変更してください。"
)


# --- helpers -------------------------------------------------------------------------------


def _set_priority(issue: Issue, weights: Weights | None = None) -> None:
    issue.priority = priority_compute(
        urgency=issue.urgency,
        importance=issue.importance,
        difficulty=issue.difficulty,
        weights=weights,
    )


def _locked(issue: Issue, version: int | None) -> Issue:
    """The issue re-read under a row lock; refuses a stale version (optimistic locking)."""
    return row_lock_current(issue, version=version, message=ISSUE_CONFLICT_MESSAGE)


def _save(issue: Issue, user: User | None, fields: list[str], reason: str | Promise = "") -> None:
    issue.version += 1
    history_stamp(issue, user, reason)
    issue.save(update_fields=[*fields, "version", "updated_at"])


def _require_edit(user: User | None, issue: Issue) -> None:
    if user is not None and not permissions.can_edit(user, issue):
        raise PermissionDenied(edit_refusal(issue))


def edit_refusal(issue: Issue) -> str:
    """The 403 reason for an issue the person may not change (another ward's, or a
    ward-independent one they neither registered nor are assigned to)."""
    if issue.ward_id is None:
        return str(permissions.WARDLESS_MESSAGE)
    return _("この課題を変更する権限がありません（他区の課題です）。")


def _require_own_ward(user: User | None, issue: Issue) -> None:
    """The issue as it will be saved must be one the person may edit (same rule as the import)."""
    if user is not None and not permissions.can_edit(user, issue):
        raise ValidationError({"ward": permissions.refusal_message(issue)})


def _check_coordinator(coordinator: User | None) -> None:
    if coordinator is not None and coordinator.role not in {Role.COORDINATOR, Role.ADMIN}:
        raise ValidationError(_("担当にはコーディネーターを選んでください。"))


# --- reference numbers ---------------------------------------------------------------------

REF_PATTERN = re.compile(r"^(?P<prefix>.+)-(?P<n>\d{4,})$")


def issue_ref_generate(*, ward: Ward | None, year: int | None = None) -> str:
    """The next free ``<ward code>-<year>-<4 digits>`` (``00000`` for ward-independent)."""
    year = year or timezone.localdate().year
    prefix = f"{ward.code if ward else '00000'}-{year}"
    highest = 0
    # Compared by key: a ref typed with full-width digits still takes its number.
    taken = Issue.objects.filter(ref_key__startswith=reference_key(prefix + "-"))
    for ref in taken.values_list("ref_key", flat=True):
        match = REF_PATTERN.match(ref)
        if match and match["prefix"] == prefix:
            highest = max(highest, int(match["n"]))
    return f"{prefix}-{highest + 1:04d}"


# --- create / edit -------------------------------------------------------------------------


def issue_create(*, created_by: User | None, data: dict[str, Any]) -> Issue:
    """Registers an issue (also on behalf of a resident); the ref is generated when empty."""
    status = data.get("status") or IssueStatus.DRAFT
    values = {name: data[name] for name in EDITABLE_FIELDS if name in data}
    _check_coordinator(values.get("coordinator"))
    issue = Issue(**values, status=status, created_by=created_by)
    _require_own_ward(created_by, issue)
    issue.status_changed_at = timezone.now()
    _set_priority(issue)
    given_ref = (data.get("ref") or "").strip()
    for attempt in range(5):
        issue.ref = given_ref or issue_ref_generate(ward=issue.ward)
        issue.full_clean()
        history_stamp(issue, created_by)
        try:
            with transaction.atomic():
                issue.save()
            texts_changed(issue_ids=[issue.pk])
            return issue
        except IntegrityError:
            # Two coordinators of the same ward saved at the same moment: take the next number.
            if given_ref or attempt == 4:
                raise ValidationError({"ref": _("この整理番号は既に使われています。")}) from None
            issue.pk = None
    raise AssertionError("unreachable")


@transaction.atomic
def issue_update(
    *, issue: Issue, updated_by: User | None, data: dict[str, Any], version: int
) -> Issue:
    fresh = _locked(issue, version)
    # The stored row decides (a bound ModelForm has already written the new values into
    # `issue`); the row as it will be saved is checked below.
    _require_edit(updated_by, fresh)
    changed = []
    for name in EDITABLE_FIELDS:
        if name in data and getattr(fresh, name) != data[name]:
            setattr(fresh, name, data[name])
            changed.append(name)
    _check_coordinator(fresh.coordinator)
    _require_own_ward(updated_by, fresh)
    fresh.full_clean(validate_unique=False)
    if not changed:
        return fresh
    _set_priority(fresh)
    _save(fresh, updated_by, [*changed, "priority"])
    if {"title", "description", "field"} & set(changed):
        texts_changed(issue_ids=[fresh.pk])
    return fresh


@transaction.atomic
def issue_status_change(
    *, issue: Issue, status: str, changed_by: User | None, version: int | None = None
) -> Issue:
    """Moves an issue along the workflow; a forbidden move raises and changes nothing."""
    _require_edit(changed_by, issue)
    fresh = _locked(issue, version)
    if status not in IssueStatus.values:
        raise ValidationError(_("状態の値が正しくありません。"))
    if status == fresh.status:
        return fresh
    if not transition_allowed(fresh.status, status):
        raise ValidationError(transition_refusal(fresh.status, status))
    _status_write(fresh, status, changed_by)
    return fresh


def _status_write(issue: Issue, status: str, user: User | None, reason: str = "") -> None:
    """The one place a screen writes an issue's status: stamped, versioned, kept in history and
    announced (issues.signals.issue_status_changed; the import announces its rows itself)."""
    previous = issue.status
    issue.status = status
    issue.status_changed_at = timezone.now()
    _save(issue, user, ["status", "status_changed_at"], reason)
    issue_status_changed.send(
        sender=Issue, issue=issue, previous=previous, status=status, changed_by=user
    )


@transaction.atomic
def issue_project_started(*, issue: Issue, started_by: User | None) -> Issue:
    """A collaboration project started on `issue` (called by matching): it becomes 連携中.

    Raises ValidationError when the issue is 取下げ, 解決 or 下書き (PROJECT_NOT_STARTED_FROM):
    the caller's transaction then rolls the project back with it.

    The project's own permission check (who may accept, approve or enter a project) has already
    run; this is the issue's side of it, so the ward edit rule is not asked again.
    """
    fresh = _locked(issue, None)
    if fresh.status in PROJECT_NOT_STARTED_FROM:
        raise ValidationError(project_start_refusal(fresh.status))
    if fresh.status != PROJECT_STARTED_TO:
        _status_write(fresh, PROJECT_STARTED_TO, started_by, _("連携事業の開始"))
    return fresh


@transaction.atomic
def issue_scores_set(
    *,
    issue: Issue,
    urgency: int,
    importance: int,
    difficulty: int,
    changed_by: User | None,
    version: int | None = None,
) -> Issue:
    """Sets the three scores and recomputes the priority."""
    _require_edit(changed_by, issue)
    for value in (urgency, importance, difficulty):
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(_("緊急度・重要度・解決困難度は1〜5で入力してください。"))
    fresh = _locked(issue, version)
    if (fresh.urgency, fresh.importance, fresh.difficulty) == (urgency, importance, difficulty):
        return fresh
    fresh.urgency, fresh.importance, fresh.difficulty = urgency, importance, difficulty
    _set_priority(fresh)
    _save(fresh, changed_by, ["urgency", "importance", "difficulty", "priority"])
    return fresh


@transaction.atomic
def issue_coordinator_assign(
    *, issue: Issue, coordinator: User | None, changed_by: User | None, version: int | None = None
) -> Issue:
    _require_edit(changed_by, issue)
    _check_coordinator(coordinator)
    fresh = _locked(issue, version)
    if fresh.coordinator_id == (coordinator.pk if coordinator else None):
        return fresh
    fresh.coordinator = coordinator
    _save(fresh, changed_by, ["coordinator"])
    return fresh


@transaction.atomic
def issues_bulk_assign(
    *, issue_ids: Iterable[int], coordinator: User | None, assigned_by: User
) -> tuple[int, int]:
    """Assigns a coordinator to many issues; answers (assigned, skipped: not yours to edit)."""
    _check_coordinator(coordinator)
    issues = list(Issue.objects.select_for_update().filter(pk__in=list(issue_ids)))
    assigned = skipped = 0
    for issue in issues:
        if not permissions.can_edit(assigned_by, issue):
            skipped += 1
            continue
        if issue.coordinator_id == (coordinator.pk if coordinator else None):
            continue
        issue.coordinator = coordinator
        _save(issue, assigned_by, ["coordinator"], reason=_lazy("担当者の一括割り当て"))
        assigned += 1
    return assigned, skipped


# --- duplicate links -----------------------------------------------------------------------


@transaction.atomic
def issue_link_create(
    *,
    issue: Issue,
    other: Issue,
    kind: str,
    created_by: User | None,
    similarity: float | None = None,
) -> IssueLink:
    if created_by is not None and not (
        permissions.can_edit(created_by, issue) or permissions.can_edit(created_by, other)
    ):
        raise PermissionDenied(edit_refusal(issue))
    if issue.pk == other.pk:
        raise ValidationError(_("同じ課題どうしは関連付けできません。"))
    if kind not in IssueLinkKind.values:
        raise ValidationError(_("関係の種類が正しくありません。"))
    existing = IssueLink.objects.filter(
        from_issue__in=[issue, other], to_issue__in=[issue, other]
    ).first()
    if existing is not None:
        existing.kind = kind
        history_stamp(existing, created_by)
        existing.save(update_fields=["kind"])
        return existing
    link = IssueLink(
        from_issue=issue, to_issue=other, kind=kind, similarity=similarity, created_by=created_by
    )
    history_stamp(link, created_by)
    link.save()
    return link


def issue_link_delete(*, link: IssueLink, deleted_by: User | None) -> None:
    if deleted_by is not None and not (
        permissions.can_edit(deleted_by, link.from_issue)
        or permissions.can_edit(deleted_by, link.to_issue)
    ):
        raise PermissionDenied(edit_refusal(link.from_issue))
    history_stamp(link, deleted_by)
    link.delete()


# --- priority weights ----------------------------------------------------------------------


def issues_priority_recompute(*, weights: Weights | None = None) -> int:
    """Recomputes every issue's priority (after the weights changed); answers how many moved."""
    weights = weights or weights_current()
    changed: list[Issue] = []
    for issue in Issue.objects.only("pk", "urgency", "importance", "difficulty", "priority"):
        new = priority_compute(
            urgency=issue.urgency,
            importance=issue.importance,
            difficulty=issue.difficulty,
            weights=weights,
        )
        if new != issue.priority:
            issue.priority = new
            changed.append(issue)
    Issue.objects.bulk_update(changed, ["priority"], batch_size=1000)
    return len(changed)


@transaction.atomic
def priority_weights_update(
    *, urgency_weight: int, importance_weight: int, ease_weight: int, updated_by: User | None
) -> PriorityWeights:
    row = PriorityWeights.objects.select_for_update().order_by("pk").first() or PriorityWeights()
    row.urgency_weight = urgency_weight
    row.importance_weight = importance_weight
    row.ease_weight = ease_weight
    row.full_clean()
    history_stamp(row, updated_by)
    row.save()
    issues_priority_recompute(weights=Weights(urgency_weight, importance_weight, ease_weight))
    return row


# --- import --------------------------------------------------------------------------------


@dataclass
class ImportReport(ImportOutcome):
    rows: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0


def _ref_refusals(dataset: Sheet) -> list[Refusal]:
    """Rows whose 整理番号 is empty or repeats an earlier row's (compared as reference_key)."""
    refusals: list[Refusal] = []
    first_row: dict[str, int] = {}
    label = dataset.label("ref")
    for index, value in enumerate(dataset["ref"] if dataset.height else []):
        ref, number = str(value).strip(), dataset.row_number(index)
        if not ref:
            refusals.append((number, label, _("整理番号が空です。")))
        elif (key := reference_key(ref)) in first_row:
            refusals.append(
                (
                    number,
                    label,
                    _("整理番号「%(ref)s」が%(first)d行目と重複しています。")
                    % {"ref": ref, "first": first_row[key]},
                )
            )
        else:
            first_row[key] = number
    return refusals


def _result_refusals(result, dataset: Sheet) -> list[Refusal]:
    """django-import-export's row results in the person's terms: the row number they see and
    the column header their file used (import-export numbers data rows from 1)."""
    refusals: list[Refusal] = []
    for number, row_errors in result.row_errors():
        for error in row_errors:
            refusals.append((dataset.row_number(number - 1), "", str(error.error)))
    for invalid in result.invalid_rows:
        row_number = dataset.row_number(invalid.number - 1)
        for name, messages in invalid.error_dict.items():
            label = "" if name == "__all__" else dataset.label(ATTRIBUTE_COLUMN.get(name, name))
            refusals.extend((row_number, label, str(message)) for message in messages)
    return refusals


class _Rollback(Exception):
    pass


def issues_import(
    *,
    dataset: Sheet,
    imported_by: User | None,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Checks (dry_run) or imports every row of a parsed file; all or nothing.

    The file must come from portal.tabular.tabular_read (canonical headers). Any error — a
    formula, a duplicate ref, an unknown ward or category, a score outside 1–5 — and nothing is
    written; the report lists every error by the row number and column header the person sees.
    `progress(rows)` hears every issues.resources.PROGRESS_ROWS rows how many were done. The
    queries do not grow with the rows but by batch (issues.resources.BATCH_ROWS).
    """
    report = ImportReport(note=dataset.note, ignored_columns=dataset.ignored_columns)
    ref_refusals = _ref_refusals(dataset)
    file_refusals = cell_refusals(dataset) + ref_refusals
    if not dataset.height:
        report.errors = [_("データの行がありません。")]
        return report
    # Every row goes through the row checks even when the file checks refused some, so one
    # attempt lists every refused row (a formula in row 3 hid the unknown ward in row 5).
    resource = IssueResource(user=imported_by, progress=progress)
    try:
        with transaction.atomic():
            result = resource.import_data(
                dataset,
                dry_run=dry_run,
                use_transactions=True,
                rollback_on_validation_errors=True,
                raise_errors=False,
            )
            report.errors = [
                _("ファイル全体: %(msg)s") % {"msg": error.error} for error in result.base_errors
            ] + refusals_worded(
                refusals_merged(
                    file_refusals,
                    _result_refusals(result, dataset),
                    whole_rows=[number for number, _label, _msg in ref_refusals],
                )
            )
            if report.errors:
                raise _Rollback
    except _Rollback:
        pass
    if not dry_run and not report.errors:
        texts_changed(issue_ids=resource.saved_ids)
    for index, (values, row_result) in enumerate(zip(dataset.dict, result.rows, strict=False)):
        action = row_result.import_type
        report.rows.append(
            {
                "line": dataset.row_number(index),
                "ref": values.get("ref", ""),
                "title": values.get("title", ""),
                "ward": values.get("ward", ""),
                "category": values.get("category", ""),
                "action": action,
            }
        )
        if action == "new":
            report.created += 1
        elif action == "update":
            report.updated += 1
        elif action == "skip":
            report.skipped += 1
    return report
