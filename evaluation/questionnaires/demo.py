"""Demo questionnaires: last 年度's platform questionnaire (closed, answered by partners, staff
and residents) and a running project questionnaire with a public link for its events. Called
from evaluation.demo; idempotent (found by title) and deterministic."""

from __future__ import annotations

import datetime
import random
import secrets
from typing import Any

from evaluation.models import SatisfactionSurvey
from evaluation.questionnaires import services
from evaluation.questionnaires.models import (
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireResponse,
)
from matching.projects.models import Project
from portal.fiscal import fiscal_year_label

PLATFORM_QUESTIONS: list[dict[str, Any]] = [
    {
        "text": "ポータル全体の満足度を教えてください。",
        "kind": "scale",
        "required": True,
        "feeds_satisfaction": True,
    },
    {
        "text": "よく使う機能を選んでください。",
        "kind": "multiple",
        "choices": ["地域課題の閲覧", "提案・連携の相談", "イベント", "事例ライブラリ"],
    },
    {"text": "改善してほしい点があればお書きください。", "kind": "text"},
]
PROJECT_QUESTIONS: list[dict[str, Any]] = [
    {
        "text": "この取り組みの満足度を教えてください。",
        "kind": "scale",
        "required": True,
        "feeds_satisfaction": True,
    },
    {
        "text": "今後も参加したいですか。",
        "kind": "single",
        "required": True,
        "choices": ["参加したい", "内容による", "参加しない"],
    },
    {"text": "ご意見・ご感想をお書きください。", "kind": "text"},
]
TEXTS = [
    "課題の一覧が分野ごとに探しやすくなった。",
    "イベントの案内がもう少し早いと参加しやすい。",
    "担当者とのやり取りが画面でまとまっていて便利。",
    "",
]


def _answers(questionnaire: Questionnaire, rng: random.Random) -> dict:
    answers: dict[int, Any] = {}
    for question in questionnaire.questions.all():
        if question.kind == "scale":
            answers[question.pk] = rng.choice([3, 4, 4, 4, 5, 5])
        elif question.kind == "single":
            answers[question.pk] = rng.choice(question.choices[:2])
        elif question.kind == "multiple":
            answers[question.pk] = rng.sample(question.choices, 2)
        else:
            answers[question.pk] = rng.choice(TEXTS)
    return answers


def _answer(questionnaire, respondent, rng, day: datetime.date) -> None:
    response = services.response_submit(
        questionnaire=questionnaire, respondent=respondent, answers=_answers(questionnaire, rng)
    )
    # Spread over the period the questionnaire ran (answers are stored with today's date).
    QuestionnaireResponse.objects.filter(pk=response.pk).update(answered_on=day)
    SatisfactionSurvey.objects.filter(response=response).update(answered_on=day)
    if respondent.invitation is not None:
        QuestionnaireInvitation.objects.filter(pk=respondent.invitation.pk).update(answered_on=day)


def _invite_and_answer(questionnaire, group, rng, days: list[datetime.date]) -> None:
    people = services.audience(questionnaire=questionnaire, group=group)[: len(days)]
    for user, day in zip(people, days, strict=False):
        invitation = QuestionnaireInvitation.objects.create(
            questionnaire=questionnaire,
            user=user,
            respondent_type="partner" if group == services.PARTNERS else "staff",
            nonce=secrets.token_urlsafe(24),
        )
        if rng.random() < 0.8:  # some never answer
            _answer(
                questionnaire, services.Respondent(invitation.respondent_type, invitation), rng, day
            )


def load(projects: list[Project], rng: random.Random, today: datetime.date) -> None:
    fy = 2025
    title = f"ポータル利用者アンケート（{fiscal_year_label(fy).split('（')[0]}）"
    if (
        today > datetime.date(fy + 1, 3, 31)
        and not Questionnaire.objects.filter(title=title).exists()
    ):
        platform = services.questionnaire_create(
            data={
                "title": title,
                "intro": "地域連携マッチングポータルの使いやすさについてお聞きします（約3分）。",
                "anonymous": True,
                "public_link": True,
            },
            questions=PLATFORM_QUESTIONS,
        )
        services.questionnaire_status_set(questionnaire=platform, status="open")
        days = [datetime.date(fy + 1, 2, 2) + datetime.timedelta(days=n) for n in range(40)]
        _invite_and_answer(platform, services.PARTNERS, rng, days[:12])
        _invite_and_answer(platform, services.STAFF, rng, days[12:20])
        for day in days[20:30]:
            nonce = secrets.token_hex(16)
            _answer(platform, services.Respondent("resident", public_nonce=nonce), rng, day)
        Questionnaire.objects.filter(pk=platform.pk).update(
            status=Questionnaire.Status.CLOSED, closes_on=datetime.date(fy + 1, 3, 31)
        )
    project = next((p for p in projects if p.status == Project.Status.PILOT), None)
    if project is None:
        return
    title = f"「{project.title[:60]}」参加者アンケート"
    if Questionnaire.objects.filter(title=title).exists():
        return
    survey = services.questionnaire_create(
        data={
            "title": title,
            "intro": "事業に参加された方に、満足度とご意見をお聞きします。",
            "project": project,
            "anonymous": True,
            "public_link": True,
        },
        questions=PROJECT_QUESTIONS,
    )
    services.questionnaire_status_set(questionnaire=survey, status="open")
    days = [today - datetime.timedelta(days=n) for n in range(10, 0, -1)]
    _invite_and_answer(survey, services.PARTNERS, rng, days[:2])
    for day in days[2:]:
        _answer(
            survey, services.Respondent("resident", public_nonce=secrets.token_hex(16)), rng, day
        )
