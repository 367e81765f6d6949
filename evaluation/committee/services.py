"""Writes of the external evaluation committee: members, conflicts, rubric, reviews, opinions.

Every function validates and stores everything or nothing.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.committee.models import CommitteeOpinion, RubricCriterion, RubricScore
from evaluation.models import CommitteeMember, ConflictOfInterest, ImprovementAction, Review
from matching.projects.models import Project
from portal.models import User

TWO_DECIMALS = Decimal("0.01")


def committee_member_create(*, data: dict[str, Any]) -> CommitteeMember:
    member = CommitteeMember(**data)
    member.full_clean()
    member.save()
    return member


def conflict_declare(
    *,
    member: CommitteeMember,
    project: Project,
    reason: str,
    declared_on: datetime.date | None = None,
) -> ConflictOfInterest:
    if not reason.strip():
        raise ValidationError(_("利害関係の内容を入力してください。"))
    conflict, _created = ConflictOfInterest.objects.update_or_create(
        member=member,
        project=project,
        defaults={"reason": reason.strip(), "declared_on": declared_on or timezone.localdate()},
    )
    return conflict


def criterion_save(
    *, data: dict[str, Any], criterion: RubricCriterion | None = None
) -> RubricCriterion:
    """Adds a rubric criterion or changes one (a retired one keeps its past scores)."""
    criterion = criterion or RubricCriterion()
    for name in ("name", "description", "order", "active"):
        if name in data:
            setattr(criterion, name, data[name])
    criterion.name = criterion.name.strip()
    criterion.full_clean()
    criterion.save()
    return criterion


def _score(value: Any) -> int:
    refusal = ValidationError(_("評点は1〜5の整数で入力してください。"))
    try:
        score = int(value)
    except (TypeError, ValueError) as exc:
        raise refusal from exc
    if not 1 <= score <= 5:
        raise refusal
    return score


def review_submit(
    *,
    project: Project,
    member: CommitteeMember,
    kind: str,
    fiscal_year: int,
    scores: dict[RubricCriterion, tuple[Any, str]],
    comment: str = "",
    recommendations: list[str] | None = None,
    reviewed_on: datetime.date | None = None,
    action_due_date: datetime.date | None = None,
) -> Review:
    """Stores a member's review of a project: a 1–5 score and a comment per rubric criterion,
    their mean as the review's score, and one improvement action per recommendation.

    ``scores`` maps each active criterion to (score, comment); a missing active criterion, a
    score outside 1–5, a member with a declared conflict of interest with the project, a retired
    member or a second review of the same kind and 年度 is refused and nothing is stored.
    """
    if ConflictOfInterest.objects.filter(member=member, project=project).exists():
        raise ValidationError(
            _("%(name)s 委員はこの事業について利益相反を申告しているため、評価できません。")
            % {"name": member.name}
        )
    if not member.active:
        raise ValidationError(_("退任した委員は評価できません。"))
    active = list(RubricCriterion.objects.filter(active=True))
    if not active:
        raise ValidationError(_("評価観点が登録されていません。委員会の画面で登録してください。"))
    missing = [c.name for c in active if c not in scores]
    if missing:
        raise ValidationError(
            _("次の評価観点の評点を入力してください: %(names)s") % {"names": "、".join(missing)}
        )
    rows = [
        (criterion, _score(value), (text or "").strip())
        for criterion, (value, text) in scores.items()
    ]
    if Review.objects.filter(
        project=project, member=member, kind=kind, fiscal_year=fiscal_year
    ).exists():
        raise ValidationError(_("この委員はこの年度の同じ種類の評価をすでに登録しています。"))
    mean = Decimal(sum(score for _c, score, _t in rows)) / len(rows)
    review = Review(
        project=project,
        member=member,
        kind=kind,
        fiscal_year=fiscal_year,
        score=mean.quantize(TWO_DECIMALS, ROUND_HALF_UP),
        comment=comment.strip(),
        reviewed_on=reviewed_on or timezone.localdate(),
    )
    review.full_clean()
    with transaction.atomic():
        review.save()
        RubricScore.objects.bulk_create(
            [
                RubricScore(review=review, criterion=criterion, score=score, comment=text)
                for criterion, score, text in rows
            ]
        )
        ImprovementAction.objects.bulk_create(
            [
                ImprovementAction(
                    review=review, recommendation=text.strip(), due_date=action_due_date
                )
                for text in (recommendations or [])
                if text.strip()
            ]
        )
    return review


def opinion_save(
    *,
    fiscal_year: int,
    text: str,
    project: Project | None = None,
    decided_on: datetime.date | None = None,
    updated_by: User | None = None,
) -> CommitteeOpinion:
    """Records (or replaces) the committee's opinion on ``project`` — or, without a project, its
    overall opinion (総評) — for the 年度; it is published with the annual report."""
    if not text.strip():
        raise ValidationError(_("委員会の意見を入力してください。"))
    opinion, _created = CommitteeOpinion.objects.update_or_create(
        fiscal_year=fiscal_year,
        project=project,
        defaults={
            "text": text.strip(),
            "decided_on": decided_on or timezone.localdate(),
            "updated_by": updated_by,
        },
    )
    return opinion
