"""The external committee as the seed describes it (issue 16, item 3): members with their
background, a rubric scored 1–5 with comments, the committee's opinion published with the
report, and partners who see the committee's result for their project but never a member's
own scores."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from evaluation.committee import selectors, services
from evaluation.committee.models import CommitteeOpinion, RubricCriterion, RubricScore
from evaluation.kpi import kpi_compute
from evaluation.models import ImprovementAction, MemberBackground, Review
from evaluation.report import report_context
from tests.evaluation.factories import MemberFactory, rubric_scores
from tests.matching.factories import ProjectFactory
from tests.portal.factories import ward


@pytest.fixture
def project(db, org_a):
    project = ProjectFactory(title="見守りセンサー実証", ward=ward("13101"))
    project.organizations.add(org_a)
    return project


def test_the_starting_rubric_has_six_criteria(db):
    assert RubricCriterion.objects.filter(active=True).count() == 6
    assert RubricCriterion.objects.order_by("order").first().name == "目標の達成度"


def test_review_on_the_rubric_stores_each_score_and_their_mean(project):
    member = MemberFactory(background=MemberBackground.ACADEMIC)
    review = services.review_submit(
        project=project,
        member=member,
        kind="annual",
        fiscal_year=2025,
        scores=rubric_scores(5, 4, 4, 3, 4, 5, comment="記録が丁寧"),
        recommendations=["住民への周知を強化する", "", "  測定方法を統一する "],
    )
    assert review.score == Decimal("4.17")  # 25 / 6, half up
    assert RubricScore.objects.filter(review=review).count() == 6
    assert set(review.rubric_scores.values_list("comment", flat=True)) == {"記録が丁寧"}
    assert list(review.actions.values_list("recommendation", flat=True)) == [
        "住民への周知を強化する",
        "測定方法を統一する",
    ]
    with pytest.raises(ValidationError, match="すでに登録"):
        services.review_submit(
            project=project, member=member, kind="annual", fiscal_year=2025, scores=rubric_scores(3)
        )


@pytest.mark.parametrize("bad", [0, 6, "x"])
def test_a_score_outside_one_to_five_stores_nothing(project, bad):
    scores = rubric_scores(4)
    first = next(iter(scores))
    scores[first] = (bad, "")
    with pytest.raises(ValidationError, match="1〜5"):
        services.review_submit(
            project=project,
            member=MemberFactory(),
            kind="annual",
            fiscal_year=2025,
            scores=scores,
            recommendations=["A"],
        )
    assert not Review.objects.exists() and not RubricScore.objects.exists()
    assert not ImprovementAction.objects.exists()


def test_every_active_criterion_must_be_scored_and_retired_ones_need_not(project):
    scores = rubric_scores(4)
    dropped = next(iter(scores))
    del scores[dropped]
    with pytest.raises(ValidationError, match=dropped.name):
        services.review_submit(
            project=project, member=MemberFactory(), kind="annual", fiscal_year=2025, scores=scores
        )
    assert not Review.objects.exists()
    services.criterion_save(data={"active": False}, criterion=dropped)
    review = services.review_submit(
        project=project, member=MemberFactory(), kind="annual", fiscal_year=2025, scores=scores
    )
    assert review.rubric_scores.count() == 5


def test_member_with_declared_conflict_cannot_score(project):
    member = MemberFactory(name="山田委員")
    services.conflict_declare(member=member, project=project, reason="連携団体の役員を兼務")
    with pytest.raises(ValidationError, match=r"山田委員.*利益相反"):
        services.review_submit(
            project=project,
            member=member,
            kind="annual",
            fiscal_year=2025,
            scores=rubric_scores(5),
            recommendations=["A"],
        )
    assert not Review.objects.exists() and not ImprovementAction.objects.exists()
    services.review_submit(
        project=ProjectFactory(),
        member=member,
        kind="annual",
        fiscal_year=2025,
        scores=rubric_scores(5),
    )


def test_result_means_per_criterion_and_the_committee_kpi(project):
    for scores in [(5, 4, 4, 3, 4, 5), (4, 4, 3, 3, 5, 5)]:
        services.review_submit(
            project=project,
            member=MemberFactory(),
            kind="annual",
            fiscal_year=2025,
            scores=rubric_scores(*scores),
        )
    services.opinion_save(fiscal_year=2025, project=project, text="住民の参加が広がった。")
    [result] = selectors.project_results(project=project)
    assert (result["fiscal_year"], result["reviews"], result["mean"]) == (
        2025,
        2,
        Decimal("4.09"),  # (4.17 + 4.00) / 2
    )
    assert [(row["criterion"], row["mean"]) for row in result["criteria"]] == [
        ("目標の達成度", Decimal("4.50")),
        ("地域課題への効果", Decimal("4.00")),
        ("住民の参加と満足度", Decimal("3.50")),
        ("費用対効果", Decimal("3.00")),
        ("連携体制", Decimal("4.50")),
        ("継続性・発展性", Decimal("5.00")),
    ]
    assert result["opinion"].text == "住民の参加が広がった。"
    assert kpi_compute("committee_score", 2025).value == Decimal("4.09")
    assert kpi_compute("committee_score", 2025, ward("13112")).value is None


def test_partner_sees_the_committee_result_never_a_members_scores(
    client, project, partner_a, partner_b, evaluator
):
    services.review_submit(
        project=project,
        member=MemberFactory(name="石川 和子"),
        kind="annual",
        fiscal_year=2025,
        scores=rubric_scores(5, 4, 4, 3, 4, 5, comment="委員個人の所見"),
        comment="委員個人の講評",
    )
    services.opinion_save(fiscal_year=2025, project=project, text="委員会としての意見")
    url = reverse("evaluation:project_detail", args=[project.pk])
    client.force_login(partner_a)
    html = client.get(url).content.decode()
    assert "委員会としての意見" in html
    assert "目標の達成度" in html and "4.17" in html  # the mean, from the one review
    for private in ["石川 和子", "委員個人の所見", "委員個人の講評", "委員ごとの評価"]:
        assert private not in html, private
    client.force_login(partner_b)  # another organisation's project
    assert client.get(url).status_code == 404
    client.force_login(evaluator)
    html = client.get(url).content.decode()
    assert "石川 和子" in html and "委員個人の所見" in html


def test_evaluator_scores_on_the_rubric_through_the_form(client, project, evaluator):
    member = MemberFactory(name="高橋 幸子", background=MemberBackground.RESIDENT)
    client.force_login(evaluator)
    page = client.get(reverse("evaluation:project_detail", args=[project.pk])).content.decode()
    criteria = list(RubricCriterion.objects.filter(active=True).order_by("order"))
    for criterion in criteria:
        assert f'name="score_{criterion.pk}"' in page
    data = {"member": member.pk, "kind": "annual", "fiscal_year": 2025, "comment": "良好"}
    data |= {f"score_{c.pk}": 4 for c in criteria}
    data[f"note_{criteria[0].pk}"] = "目標を上回った"
    response = client.post(reverse("evaluation:review_add", args=[project.pk]), data, follow=True)
    assert "外部評価を登録しました。" in response.content.decode()
    review = Review.objects.get(member=member)
    assert review.score == 4
    assert review.rubric_scores.get(criterion=criteria[0]).comment == "目標を上回った"


def test_committee_screen_edits_rubric_members_and_overall_opinion(client, evaluator):
    client.force_login(evaluator)
    response = client.post(
        reverse("evaluation:committee"),
        {
            "name": "中村 誠",
            "affiliation": "前 浜松市",
            "background": "practitioner",
            "active": "on",
        },
        follow=True,
    )
    assert "委員を登録しました。" in response.content.decode()
    assert "他地域の実践者" in response.content.decode()
    response = client.post(
        reverse("evaluation:criterion_add"),
        {"new-name": "デジタル活用", "new-description": "", "new-order": 70, "new-active": "on"},
        follow=True,
    )
    assert "デジタル活用" in response.content.decode()
    criterion = RubricCriterion.objects.get(name="デジタル活用")
    client.post(
        reverse("evaluation:criterion_edit", args=[criterion.pk]),
        {f"c{criterion.pk}-name": "デジタル活用", f"c{criterion.pk}-order": 70},
    )
    criterion.refresh_from_db()
    assert not criterion.active
    response = client.post(
        reverse("evaluation:opinion_save"),
        {"fiscal_year": 2025, "text": "全体として改善が進んだ。"},
        follow=True,
    )
    assert "全体として改善が進んだ。" in response.content.decode()
    assert CommitteeOpinion.objects.get(fiscal_year=2025, project=None).updated_by == evaluator
    # An empty opinion is refused, the saved one stays.
    client.post(reverse("evaluation:opinion_save"), {"fiscal_year": 2025, "text": " "})
    assert CommitteeOpinion.objects.get(fiscal_year=2025, project=None).text


def test_report_publishes_members_criteria_and_opinions(project):
    MemberFactory(name="高橋 幸子", background=MemberBackground.RESIDENT)
    services.review_submit(
        project=project,
        member=MemberFactory(name="石川 和子", background=MemberBackground.ACADEMIC),
        kind="annual",
        fiscal_year=2025,
        scores=rubric_scores(4),
        reviewed_on=datetime.date(2026, 2, 20),
    )
    services.opinion_save(fiscal_year=2025, text="総評の本文")
    services.opinion_save(fiscal_year=2025, project=project, text="事業への意見")
    html = render_to_string("evaluation/report_pdf.html", report_context(fiscal_year=2025))
    for text in [
        "外部評価委員会の構成",
        "学識経験者 1名",
        "住民代表 1名",
        "高橋 幸子",
        "評価観点ごとの平均評点",
        "目標の達成度",
        "総評の本文",
        "見守りセンサー実証",
        "事業への意見",
        # The KPI definitions table
        "KPIの定義",
        "ストック（期末時点の数）",
        "アクセスログの日別利用記録",
    ]:
        assert text in html, text
