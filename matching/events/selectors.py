"""Reads for matching events: calendar, invitations, figures (events per month, pair outcomes)."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from matching.events.models import (
    Event,
    EventPair,
    EventStatus,
    Invitation,
    InvitationStatus,
    PairOutcome,
)
from matching.models import Candidate
from portal.fiscal import datetime_range, fiscal_year_range
from portal.models import User
from portal.rounding import half_up

TARGET_EVENTS_PER_MONTH = 4


def _people(status: str) -> Coalesce:
    """Subquery: the people (party sizes) of an event's places in ``status``."""
    places = (
        Invitation.objects.filter(event=OuterRef("pk"), status=status)
        .values("event")
        .annotate(people=Sum("party_size"))
        .values("people")
    )
    return Coalesce(Subquery(places, output_field=IntegerField()), 0)


def events_with_counts() -> QuerySet[Event]:
    """Events with ``registered`` and ``waitlisted`` in people (a resident's party of three
    is three) and ``pair_count``; subqueries, so the programme's pairs multiply nothing."""
    return Event.objects.select_related("theme").annotate(
        registered=_people(InvitationStatus.REGISTERED),
        waitlisted=_people(InvitationStatus.WAITLISTED),
        pair_count=Count("pairs", distinct=True),
    )


def events_list(*, when: str = "upcoming", public_only: bool = False) -> QuerySet[Event]:
    qs = events_with_counts()
    if public_only:
        qs = qs.filter(public=True).exclude(status=EventStatus.CANCELLED)
    now = timezone.now()
    if when == "upcoming":
        return qs.filter(ends_at__gte=now).order_by("starts_at")
    if when == "past":
        return qs.filter(ends_at__lt=now).order_by("-starts_at")
    return qs.order_by("-starts_at")


def month_calendar(*, year: int, month: int, public_only: bool = False) -> dict[str, Any]:
    """Weeks of the month (Monday first), each day with its events."""
    tz = timezone.get_current_timezone()
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    qs = Event.objects.filter(starts_at__gte=start, starts_at__lt=end).select_related("theme")
    if public_only:
        qs = qs.filter(public=True).exclude(status=EventStatus.CANCELLED)
    by_day: dict[datetime.date, list[Event]] = {}
    for event in qs.order_by("starts_at"):
        by_day.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    weeks = [
        [
            {"day": day, "in_month": day.month == month, "events": by_day.get(day, [])}
            for day in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    previous = first - datetime.timedelta(days=1)
    following = last + datetime.timedelta(days=1)
    return {
        "year": year,
        "month": month,
        "weeks": weeks,
        "previous": f"{previous.year}-{previous.month:02d}",
        "next": f"{following.year}-{following.month:02d}",
        "count": sum(len(v) for v in by_day.values()),
    }


def invitations_for(*, user: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(user=user)
        .select_related("event", "event__theme")
        .order_by("-event__starts_at")
    )


def event_registrants(*, event: Event) -> QuerySet[Invitation]:
    return (
        event.invitations.filter(status=InvitationStatus.REGISTERED)
        .select_related("user", "contact", "organization")
        .order_by("organization__name", "user__username", "contact__name", "name")
    )


def shortlisted_candidates(*, user: User) -> QuerySet[Candidate]:
    """Shortlisted pairs the organiser may put on the programme (own ward unless all-ward)."""
    qs = Candidate.objects.filter(shortlisted=True).select_related(
        "issue", "issue__ward", "resource", "resource__organization"
    )
    if not user.sees_all_wards and user.ward_id:
        qs = qs.filter(Q(issue__ward_id=user.ward_id) | Q(issue__ward__isnull=True))
    return qs.order_by("issue__ref", "rank")


def pair_outcome_figures(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> dict[str, Any]:
    """Share of the pairs of closed events (held from ``start`` to ``end``, Tokyo dates) that
    became projects.

    A pair became a project only when its 連携決定 was followed up in the pipeline and a project
    exists: entered at once where staff confirmed it, or born from the proposal it sent when the
    organisation accepted. A 連携決定 with no proposal or project behind it is not counted;
    ``decided`` and ``proposals`` say how many pairs got that far. ``share`` is an unrounded
    Decimal in 0..1 (None without pairs).
    """
    pairs = EventPair.objects.filter(event__status=EventStatus.CLOSED)
    if start:
        pairs = pairs.filter(event__starts_at__gte=datetime_range(start, start)[0])
    if end:
        pairs = pairs.filter(event__starts_at__lt=datetime_range(end, end)[1])
    rows = pairs.values_list("outcome", "proposal_id", "project_id", "proposal__project__id")
    total = became = decided = proposals = 0
    outcomes: Counter[str] = Counter()
    for outcome, proposal_id, project_id, proposal_project_id in rows:
        total += 1
        outcomes[outcome] += 1
        decided += outcome == PairOutcome.DECIDED
        proposals += proposal_id is not None
        became += bool(project_id or proposal_project_id)
    return {
        "pairs": total,
        "decided": decided,
        "proposals": proposals,
        "became_projects": became,
        "share": Decimal(became) / total if total else None,
        "by_outcome": [(o.label, outcomes.get(o.value, 0)) for o in PairOutcome],
    }


def events_per_month(*, months: int = 12, until: datetime.date | None = None) -> list[dict]:
    """Held (not cancelled) events per calendar month, oldest first, ending with ``until``'s."""
    until = until or timezone.localdate()
    keys: list[tuple[int, int]] = []
    year, month = until.year, until.month
    for _ in range(months):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    tz = timezone.get_current_timezone()
    start = datetime.datetime(keys[0][0], keys[0][1], 1, tzinfo=tz)
    counts: Counter[tuple[int, int]] = Counter()
    for starts_at in (
        Event.objects.filter(starts_at__gte=start)
        .exclude(status=EventStatus.CANCELLED)
        .values_list("starts_at", flat=True)
    ):
        local = timezone.localtime(starts_at)
        counts[(local.year, local.month)] += 1
    return [{"year": y, "month": m, "events": counts.get((y, m), 0)} for y, m in keys]


def events_held(date_from: datetime.date, date_to: datetime.date) -> QuerySet[Event]:
    """Events (not cancelled) starting from `date_from` to `date_to` inclusive, Tokyo dates.

    The one definition of "an event held in a period": the evaluation KPI (events per month)
    and the figures below count the same rows.
    """
    since, until = datetime_range(date_from, date_to)
    return Event.objects.filter(starts_at__gte=since, starts_at__lt=until).exclude(
        status=EventStatus.CANCELLED
    )


def event_figures(*, fiscal_year: int) -> dict[str, Any]:
    """Figures for the evaluation report: events per month and pair → project share."""
    start, end = fiscal_year_range(fiscal_year)
    held = events_held(start, end).count()
    today = timezone.localdate()
    if today < start:
        months_elapsed = 0
    elif today > end:
        months_elapsed = 12
    else:
        months_elapsed = (today.year - start.year) * 12 + today.month - start.month + 1
    pairs = pair_outcome_figures(start=start, end=end)
    return {
        "fiscal_year": fiscal_year,
        "events": held,
        "events_per_month": half_up(Decimal(held) / months_elapsed, 2) if months_elapsed else None,
        "events_per_month_target": TARGET_EVENTS_PER_MONTH,
        "event_pairs": pairs["pairs"],
        "event_pairs_became_projects": pairs["became_projects"],
        "event_pair_project_share": pairs["share"],
    }
