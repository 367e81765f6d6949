"""Reads of the committee's work: a project's result (what its partners may see) and the
committee section of the annual report.

A project's result holds means per criterion and the committee's opinion, never a member's name
or own scores: partners see this, and only this, of the committee's review of their project.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum

from evaluation.committee.models import CommitteeOpinion, RubricCriterion, RubricScore
from evaluation.models import CommitteeMember, MemberBackground, Review
from matching.projects.models import Project
from portal.models import Ward

TWO_DECIMALS = Decimal("0.01")


def _mean(total: int | Decimal | None, count: int) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(TWO_DECIMALS, ROUND_HALF_UP)


def _criterion_means(scores) -> dict[int, list[dict[str, Any]]]:
    """{年度: [{criterion, mean, n}] in the rubric's order} of RubricScore rows (one query)."""
    rows = (
        scores.values("review__fiscal_year", "criterion__name", "criterion__order")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by("criterion__order", "criterion__name")
    )
    by_year: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_year.setdefault(row["review__fiscal_year"], []).append(
            {
                "criterion": row["criterion__name"],
                "mean": _mean(row["total"], row["n"]),
                "n": row["n"],
            }
        )
    return by_year


def project_results(*, project: Project) -> list[dict[str, Any]]:
    """The committee's result for ``project``, one entry per 年度 (newest first): the number of
    reviews, their mean score, the mean of each criterion and the committee's opinion."""
    reviews = {
        row["fiscal_year"]: row
        for row in Review.objects.filter(project=project)
        .values("fiscal_year")
        .annotate(total=Sum("score"), n=Count("id"))
    }
    opinions = {o.fiscal_year: o for o in CommitteeOpinion.objects.filter(project=project)}
    criteria = _criterion_means(RubricScore.objects.filter(review__project=project))
    results = []
    for fiscal_year in sorted(set(reviews) | set(opinions), reverse=True):
        row = reviews.get(fiscal_year, {"total": None, "n": 0})
        results.append(
            {
                "fiscal_year": fiscal_year,
                "reviews": int(row["n"] or 0),
                "mean": _mean(row["total"], int(row["n"] or 0)),
                "criteria": criteria.get(fiscal_year, []),
                "opinion": opinions.get(fiscal_year),
            }
        )
    return results


def committee_report(*, fiscal_year: int, ward: Ward | None = None) -> dict[str, Any]:
    """The committee section of the report: its members by background, its overall opinion, the
    mean of each criterion over the 年度's reviews, and its opinion on each project."""
    members = list(CommitteeMember.objects.filter(active=True).order_by("background", "name"))
    scores = RubricScore.objects.filter(review__fiscal_year=fiscal_year)
    opinions = CommitteeOpinion.objects.filter(
        fiscal_year=fiscal_year, project__isnull=False
    ).select_related("project")
    if ward:
        scores = scores.filter(review__project__ward=ward)
        opinions = opinions.filter(project__ward=ward)
    labels = dict(MemberBackground.choices)
    return {
        "members": members,
        "composition": [
            (labels[value], sum(1 for m in members if m.background == value))
            for value in MemberBackground.values
        ],
        "overall": CommitteeOpinion.objects.filter(
            fiscal_year=fiscal_year, project__isnull=True
        ).first(),
        "criteria": _criterion_means(scores).get(fiscal_year, []),
        "project_opinions": list(opinions.order_by("project__title")),
    }


def active_criteria() -> list[RubricCriterion]:
    return list(RubricCriterion.objects.filter(active=True).order_by("order", "name"))


def rubric() -> list[RubricCriterion]:
    """Every criterion, the active ones first, each with the number of scores given on it."""
    return list(
        RubricCriterion.objects.annotate(uses=Count("scores")).order_by("-active", "order", "name")
    )


def reviews_with_scores(*, project: Project):
    """The project's reviews with each member's rubric scores (evaluators' view only)."""
    return (
        Review.objects.filter(project=project)
        .select_related("member")
        .prefetch_related("actions", "rubric_scores__criterion")
        .order_by("-fiscal_year", "member__name")
    )


def members_with_conflicts():
    return CommitteeMember.objects.prefetch_related("conflicts__project").order_by(
        "-active", "background", "name"
    )
