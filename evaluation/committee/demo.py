"""Demo data of the committee: members with their background, rubric scores for every demo
review, and the committee's opinions (overall and per project). Called from evaluation.demo;
idempotent and deterministic like it."""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg

from evaluation.committee.models import CommitteeOpinion, RubricCriterion, RubricScore
from evaluation.models import CommitteeMember, MemberBackground, Review
from matching.projects.models import Project

# (name, affiliation, background): the seed's 学識経験者、他地域の実践者、住民代表等.
MEMBERS = [
    ("石川 和子", "城南大学 公共政策学部 教授", MemberBackground.ACADEMIC),
    ("大野 健", "公認会計士（自治体の包括外部監査人を歴任）", MemberBackground.OTHER),
    (
        "小林 真理",
        "NPO法人 地域ささえあいネット 代表理事（横浜市で見守り事業を運営）",
        MemberBackground.PRACTITIONER,
    ),
    ("森田 浩二", "東京商工団体連合会 事務局長", MemberBackground.OTHER),
    ("高橋 幸子", "区民公募委員（町会連合会 副会長）", MemberBackground.RESIDENT),
    ("中村 誠", "前 浜松市 市民協働推進課長", MemberBackground.PRACTITIONER),
]

COMMENTS = {
    3: "計画に対して進捗に遅れがある。原因の分析と対応策を示されたい。",
    4: "概ね計画どおり進んでいる。",
    5: "計画を上回る成果が出ており、他区への展開も期待できる。",
}

# By the project's mean score (3, 4, 5).
PROJECT_OPINIONS = {
    3: (
        "参加者数は計画を下回っているが、原因の分析は進んでいる。町会・自治会を通じた周知と、"
        "参加しやすい時間帯への変更を次年度の改善アクションとして確実に実施されたい。"
    ),
    4: (
        "成果指標の測定が継続されており、計画に沿った成果が出ている。住民の満足度を"
        "四半期ごとに把握し、費用に見合う効果であることを次年度の報告で示されたい。"
    ),
    5: (
        "計画を上回る成果が出ている。手順書と測定方法を整理し、他区への展開の事例として"
        "事例ライブラリに登録することを提言する。"
    ),
}

OVERALL = {
    2024: (
        "初年度として、連携事業の評価指標の設定と測定が概ね定着した。一方で、住民の参加と"
        "満足度の把握は事業によって差が大きく、アンケートの実施時期と方法をそろえることを求める。"
    ),
    2025: (
        "評価指標の測定は全体に定着し、改善提言の多くが実施された。費用対効果の説明は"
        "なお不十分な事業があり、公的負担と団体負担・現物提供を合わせた総事業費と成果の対比を"
        "次年度の報告で示されたい。継続性の観点では、開始2年後も継続・発展している事業の"
        "要因を事例として他区と共有することを提言する。"
    ),
}


def members() -> list[CommitteeMember]:
    rows = []
    for index, (name, affiliation, background) in enumerate(MEMBERS):
        member, _created = CommitteeMember.objects.update_or_create(
            name=name,
            defaults={
                "affiliation": affiliation,
                "background": background,
                "appointed_on": datetime.date(2024, 4, 1 + index),
            },
        )
        rows.append(member)
    return rows


def rubric_scores(review: Review, rng: random.Random, base: int) -> None:
    """A score per active criterion around ``base`` (3–5), and their mean as the review's score."""
    scores = []
    for criterion in RubricCriterion.objects.filter(active=True):
        score = max(3, min(5, base + rng.choice([-1, 0, 0, 0, 1])))
        row, _created = RubricScore.objects.get_or_create(
            review=review,
            criterion=criterion,
            defaults={"score": score, "comment": COMMENTS[score] if rng.random() < 0.3 else ""},
        )
        scores.append(row.score)
    if scores:
        mean = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        Review.objects.filter(pk=review.pk).update(score=mean)


def opinions(projects: list[Project], today: datetime.date) -> None:
    for fiscal_year, text in OVERALL.items():
        decided = datetime.date(fiscal_year + 1, 3, 15)
        if decided > today:
            continue
        CommitteeOpinion.objects.get_or_create(
            fiscal_year=fiscal_year,
            project=None,
            defaults={"text": text, "decided_on": decided},
        )
        for project in projects[:8]:
            mean = project.reviews.filter(fiscal_year=fiscal_year).aggregate(m=Avg("score"))["m"]
            if mean is None:
                continue
            CommitteeOpinion.objects.get_or_create(
                fiscal_year=fiscal_year,
                project=project,
                defaults={
                    "text": PROJECT_OPINIONS[max(3, min(int(mean), 5))],
                    "decided_on": decided,
                },
            )
