"""Reads of questionnaires: the results of one questionnaire, and satisfaction per project and
per ward (questionnaire answers and paper responses alike, from SatisfactionSurvey)."""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from evaluation.models import SatisfactionSurvey
from evaluation.questionnaires.models import Answer, QuestionKind, Questionnaire
from matching.projects.models import Project
from portal.fiscal import fiscal_year_range
from portal.models import Ward

TWO_DECIMALS = Decimal("0.01")
TEXT_ANSWERS_SHOWN = 200


def _mean(total: int | None, count: int) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(TWO_DECIMALS, ROUND_HALF_UP)


def questionnaires_with_counts() -> QuerySet[Questionnaire]:
    """Every questionnaire (staff see them all), with its response and invitation counts."""
    return (
        Questionnaire.objects.select_related("project__ward")
        .annotate(
            response_count=Count("responses", distinct=True),
            invited=Count("invitations", distinct=True),
            answered=Count(
                "invitations", filter=Q(invitations__answered_on__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at")
    )


def questionnaire_results(
    *, questionnaire: Questionnaire, ward: Ward | None = None
) -> dict[str, Any]:
    """Per question: a 1–5 scale's mean and distribution, a choice's counts, free texts (newest
    first); and the respondents by type. ``ward`` keeps the answers counted under that ward.
    Answers carry no respondent's name, whatever the questionnaire (the list shows none)."""
    responses = questionnaire.responses.all()
    answers = Answer.objects.filter(response__questionnaire=questionnaire)
    if ward:
        responses = responses.filter(ward=ward)
        answers = answers.filter(response__ward=ward)
    by_question: dict[int, list[Answer]] = {}
    for answer in answers.order_by("-response_id").only("question_id", "scale", "selected", "text"):
        by_question.setdefault(answer.question_id, []).append(answer)
    rows = []
    for question in questionnaire.questions.all():
        given = by_question.get(question.pk, [])
        row: dict[str, Any] = {"question": question, "n": len(given)}
        if question.kind == QuestionKind.SCALE:
            counts = Counter(a.scale for a in given)
            row["mean"] = _mean(sum(a.scale or 0 for a in given), len(given))
            row["distribution"] = [(score, counts.get(score, 0)) for score in range(5, 0, -1)]
        elif question.kind == QuestionKind.TEXT:
            row["texts"] = [a.text for a in given[:TEXT_ANSWERS_SHOWN]]
        else:
            counts = Counter(choice for a in given for choice in a.selected)
            row["counts"] = [(choice, counts.get(choice, 0)) for choice in question.choices]
        rows.append(row)
    return {
        "questions": rows,
        "responses": responses.count(),
        "by_type": list(
            responses.values("respondent_type").annotate(n=Count("id")).order_by("respondent_type")
        ),
    }


def satisfaction_overview(*, fiscal_year: int, ward: Ward | None = None) -> dict[str, Any]:
    """Satisfaction (1–5) in the 年度 per project and per ward: mean and number of answers.

    A project's answers count under its ward; a platform answer under the ward it was counted
    under (the respondent's), or as 「区の記録なし」.
    """
    date_from, date_to = fiscal_year_range(fiscal_year)
    surveys = SatisfactionSurvey.objects.filter(answered_on__range=(date_from, date_to))
    surveys = surveys.annotate(counted_ward=Coalesce(F("project__ward_id"), F("response__ward_id")))
    if ward:
        surveys = surveys.filter(counted_ward=ward.pk)
    per_project = (
        surveys.filter(project__isnull=False)
        .values("project_id", "project__title", "project__ward__name_ja")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by("project__ward__name_ja", "project__title")
    )
    wards = {w.pk: w for w in Ward.objects.all()}
    per_ward = surveys.values("counted_ward").annotate(total=Sum("score"), n=Count("id")).order_by()
    return {
        "projects": [
            {
                "project_id": row["project_id"],
                "title": row["project__title"],
                "ward": row["project__ward__name_ja"],
                "mean": _mean(row["total"], row["n"]),
                "n": row["n"],
            }
            for row in per_project
        ],
        "wards": sorted(
            (
                {
                    "ward": wards.get(row["counted_ward"]),
                    "mean": _mean(row["total"], row["n"]),
                    "n": row["n"],
                }
                for row in per_ward
            ),
            key=lambda row: row["ward"].code if row["ward"] else "99999",
        ),
    }


def project_questionnaires(*, project: Project) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(project=project).order_by("-created_at")
