"""Reads of the issue database: triage filters, the issue page, history, map figures,
dashboard figures, exports and the caseload provider."""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from issues.fields import HISTORY_FIELDS
from issues.models import OPEN_STATUSES, PUBLIC_STATUSES, Issue, IssueLink, IssueStatus
from portal.fiscal import current_fiscal_year, fiscal_year_instants
from portal.history import history_reason_label
from portal.identifiers import search_words
from portal.models import Role, User, Ward
from portal.sdgs import sdg_filter

SORTS = {
    "priority": ("-priority", "-created_at", "-pk"),
    "-priority": ("priority", "created_at", "pk"),
    "new": ("-created_at", "-pk"),
    "old": ("created_at", "pk"),
    "updated": ("-updated_at", "-pk"),
    "ref": ("ref",),
    "ward": ("ward__code", "-priority", "-pk"),
}
HIGH_PRIORITY = 70


def issues_filter(
    *,
    ward: Ward | None = None,
    field=None,
    status: str = "",
    sdg: int | None = None,
    coordinator: str | int | None = None,
    priority_min: float | None = None,
    priority_max: float | None = None,
    q: str = "",
    sort: str = "priority",
    statuses: tuple[str, ...] | None = None,
) -> QuerySet[Issue]:
    qs = Issue.objects.all()
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if field is not None:
        qs = qs.filter(field=field)
    if status:
        qs = qs.filter(status=status)
    if sdg:
        qs = qs.filter(sdg_filter("sdgs", int(sdg)))
    if coordinator == "none":
        qs = qs.filter(coordinator__isnull=True)
    elif coordinator:
        # Django converts the digit string the filter form gives; the stubs accept only ints.
        qs = qs.filter(coordinator_id=coordinator)  # type: ignore[misc]
    if priority_min is not None:
        qs = qs.filter(priority__gte=priority_min)
    if priority_max is not None:
        qs = qs.filter(priority__lte=priority_max)
    # The stored text is not normalised (ｺﾞﾐ, ＡＢＣ); its folded copy is (portal.identifiers).
    for word in search_words(q):
        qs = qs.filter(search_text__contains=word)
    return qs.order_by(*SORTS.get(sort, SORTS["priority"]))


def triage_rows(qs: QuerySet[Issue]) -> QuerySet[Issue]:
    return qs.select_related("ward", "field", "coordinator").defer(
        "evidence", "internal_note", "description", "search_text"
    )


def assignable_coordinators() -> list[User]:
    return list(
        User.objects.filter(role__in=[Role.COORDINATOR, Role.ADMIN], is_active=True)
        .select_related("ward")
        .order_by("ward__code", "username")
    )


def issue_detail(pk: int) -> Issue:
    return Issue.objects.select_related("ward", "field", "coordinator", "created_by").get(pk=pk)


def issue_links(issue: Issue) -> list[dict[str, Any]]:
    links = IssueLink.objects.filter(Q(from_issue=issue) | Q(to_issue=issue)).select_related(
        "from_issue__ward", "to_issue__ward", "created_by"
    )
    result = []
    for link in links:
        other = link.to_issue if link.from_issue_id == issue.pk else link.from_issue
        result.append({"link": link, "other": other})
    return result


def issue_history(issue: Issue, *, include_internal: bool, limit: int = 50) -> list[dict[str, Any]]:
    """Who changed what and when, newest first (from django-simple-history)."""
    from portal.models import Field

    records = list(
        issue.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    names: dict[str, dict[Any, str]] = {
        "ward": {w.pk: w.local_name for w in Ward.objects.all()},
        "field": {f.pk: f.local_name for f in Field.objects.all()},
    }
    user_ids = {r.coordinator_id for r in records if r.coordinator_id}
    names["coordinator"] = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)}
    # HISTORY_FIELDS are concrete fields, never reverse relations (get_field may return those).
    labels = {
        name: str(cast("models.Field[Any, Any]", Issue._meta.get_field(name)).verbose_name)
        for name in HISTORY_FIELDS
    }

    def show(name: str, value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if name in names:
            return names[name].get(value, str(value))
        if name == "status":
            return str(IssueStatus(value).label)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            for name in HISTORY_FIELDS:
                if name == "internal_note" and not include_internal:
                    continue
                attname = cast("models.Field[Any, Any]", Issue._meta.get_field(name)).attname
                old, new = getattr(previous, attname), getattr(record, attname)
                if old != new:
                    if name in {"description", "evidence", "internal_note"}:
                        changes.append(
                            {"label": labels[name], "old": "…", "new": _("（変更あり）")}
                        )
                    else:
                        changes.append(
                            {"label": labels[name], "old": show(name, old), "new": show(name, new)}
                        )
        entries.append(
            {
                "at": record.history_date,
                "user": record.history_user,
                "type": record.history_type,
                "reason": history_reason_label(record.history_change_reason),
                "changes": changes,
            }
        )
    return entries


def open_counts_by_ward(*, statuses: tuple[str, ...] = OPEN_STATUSES) -> dict[str, int]:
    """Ward code → number of issues in the given statuses (every ward present, 0 included)."""
    counts = dict(
        Issue.objects.filter(status__in=statuses, ward__isnull=False)
        .values_list("ward__code")
        .annotate(n=Count("pk"))
    )
    return {ward.code: counts.get(ward.code, 0) for ward in Ward.objects.order_by("code")}


def public_issues() -> QuerySet[Issue]:
    """Issues the public sees (募集中・連携中・解決), with nothing internal loaded."""
    return (
        Issue.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("ward", "field")
        .only(
            "pk",
            "ref",
            "title",
            "description",
            "ward__code",
            "ward__name_ja",
            "ward__name_en",
            "field__name",
            "field__name_en",
            "sdgs",
            "target_groups",
            "desired_resource_kinds",
            "desired_start",
            "desired_end",
            "area",
            "status",
            "priority",
            "created_at",
            "status_changed_at",
        )
    )


# The public list shows 募集中 first, then 連携中, then 解決 (the order of PUBLIC_STATUSES).
_PUBLIC_ORDER = Case(
    *(When(status=status, then=Value(rank)) for rank, status in enumerate(PUBLIC_STATUSES)),
    output_field=IntegerField(),
)


def public_issues_filter(
    *,
    ward: Ward | None = None,
    field=None,
    status: str = "",
    q: str = "",
    sdg: int | None = None,
) -> QuerySet[Issue]:
    """The public list: ward, field, status (one of PUBLIC_STATUSES) and SDG (1–17) filters,
    the search box folded like the triage's; 募集中 first, then by priority."""
    qs = public_issues()
    if ward is not None:
        qs = qs.filter(ward=ward)
    if field is not None:
        qs = qs.filter(field=field)
    if status in PUBLIC_STATUSES:
        qs = qs.filter(status=status)
    if sdg:
        qs = qs.filter(sdg_filter("sdgs", int(sdg)))
    for word in search_words(q):
        qs = qs.filter(search_text__contains=word)
    return qs.order_by(_PUBLIC_ORDER, "-priority", "-pk")


def public_issue(*, pk: int, ward_key: str) -> Issue:
    """One public issue at its public address (Issue.public_ward_key + pk).

    Raises Issue.DoesNotExist for an issue that is not public, and for one asked for under
    another ward than its own (a page is only ever at one address).
    """
    issue = public_issues().get(pk=pk)
    if issue.public_ward_key != ward_key:
        raise Issue.DoesNotExist
    return issue


def public_status_steps(issue: Issue) -> list[dict[str, Any]]:
    """募集中 → 連携中 → 解決 for the public page, from the issue's recorded history.

    One entry per public status: {"value", "label", "on" (aware datetime the issue last entered
    that status, or None), "state": "done" | "current" | "todo"}. Statuses before the current
    one are done even when the history has no date for them (an issue imported as 連携中).
    One query (the issue's history: status and date only).
    """
    entered: dict[str, Any] = {}
    previous = None
    records = issue.history.order_by("history_date", "history_id").values_list(
        "status", "history_date"
    )
    for status, when in records:
        if status != previous:
            entered[status] = when
            previous = status
    current = list(PUBLIC_STATUSES).index(IssueStatus(issue.status))
    return [
        {
            "value": status.value,
            "label": status.label,
            "on": entered.get(status) if index <= current else None,
            "state": "done" if index < current else "current" if index == current else "todo",
        }
        for index, status in enumerate(PUBLIC_STATUSES)
    ]


def public_latest(*, limit: int = 3) -> list[Issue]:
    """The issues most recently opened for collaboration (募集中), for the home page."""
    return list(
        public_issues()
        .filter(status=IssueStatus.OPEN)
        .order_by(F("status_changed_at").desc(nulls_last=True), "-pk")[:limit]
    )


def issues_for_export(qs: QuerySet[Issue] | None = None) -> QuerySet[Issue]:
    qs = Issue.objects.all() if qs is None else qs
    return qs.select_related("ward", "field").order_by("ref")


# --- dashboard -----------------------------------------------------------------------------


def status_counts(*, ward: Ward | None = None) -> dict[str, int]:
    qs = Issue.objects.all()
    if ward is not None:
        qs = qs.filter(ward=ward)
    counts = dict(qs.values_list("status").annotate(n=Count("pk")))
    return {value: counts.get(value, 0) for value in IssueStatus.values}


def high_priority_unassigned(*, ward: Ward | None = None, limit: int = 5) -> list[Issue]:
    qs = Issue.objects.filter(
        status__in=OPEN_STATUSES, coordinator__isnull=True, priority__gte=HIGH_PRIORITY
    )
    if ward is not None:
        qs = qs.filter(ward=ward)
    return list(qs.select_related("ward").order_by("-priority", "-pk")[:limit])


# --- caseload (for portal's coordinator figures) -------------------------------------------


def caseload_by_coordinator(
    user_ids: list[int], fiscal_year: int | None = None
) -> dict[int, dict[str, int]]:
    """Per coordinator: open issues assigned now ("open": 精査中・募集中・連携中・保留) and
    issues resolved in the fiscal year ("resolved_year"; the current one by default)."""
    # Instants, not ``__date`` lookups: see portal.fiscal.fiscal_year_instants.
    start, end = fiscal_year_instants(fiscal_year or current_fiscal_year())
    still_open = [
        IssueStatus.REVIEWING,
        IssueStatus.OPEN,
        IssueStatus.COLLABORATING,
        IssueStatus.ON_HOLD,
    ]
    rows = (
        Issue.objects.filter(coordinator_id__in=list(user_ids))
        .values("coordinator_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=still_open)),
            resolved_year=Count(
                "pk",
                filter=Q(
                    status=IssueStatus.RESOLVED,
                    status_changed_at__gte=start,
                    status_changed_at__lt=end,
                ),
            ),
        )
    )
    return {
        row["coordinator_id"]: {"open": row["open"], "resolved_year": row["resolved_year"]}
        for row in rows
    }


def caseload_provider(user_ids: list[int], fiscal_year: int) -> dict[int, dict[str, int]]:
    """The figure portal's registry adds up. matching's provider already counts open issues in
    "active"/"supported_year", so this one adds only the breakdown of resolved issues."""
    return {
        uid: {"resolved_issues": figures["resolved_year"]}
        for uid, figures in caseload_by_coordinator(user_ids, fiscal_year).items()
        if figures["resolved_year"]
    }
