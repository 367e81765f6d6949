from evaluation import demo
from evaluation.committee.models import CommitteeOpinion, RubricScore
from evaluation.models import (
    CaseReuse,
    CaseStudy,
    Continuation,
    FeedDelivery,
    ImprovementAction,
    Measurement,
    PaymentSchedule,
    ProjectIndicator,
    ReportIssuer,
    Review,
    SatisfactionSurvey,
)
from evaluation.questionnaires.models import Questionnaire, QuestionnaireResponse
from matching.projects.models import Project
from portal.demo import users
from portal.models import DailyActivity, HealthCheck
from portal.registry import DemoContext

MODELS = (
    Project,
    ProjectIndicator,
    Measurement,
    Review,
    ImprovementAction,
    Continuation,
    CaseStudy,
    CaseReuse,
    PaymentSchedule,
    SatisfactionSurvey,
    RubricScore,
    CommitteeOpinion,
    Questionnaire,
    QuestionnaireResponse,
    FeedDelivery,
    ReportIssuer,
    DailyActivity,
    HealthCheck,
)


def test_demo_creates_evaluation_data_once(db):
    ctx = DemoContext(seed=20260401, password="x", log=lambda message: None)
    users.load(ctx)
    demo.load(ctx)
    first = [model.objects.count() for model in MODELS]
    assert all(first), dict(zip([m.__name__ for m in MODELS], first, strict=True))
    assert (
        Review.objects.filter(fiscal_year=2024).exists()
        and Review.objects.filter(fiscal_year=2025).exists()
    )
    assert ImprovementAction.objects.filter(status="implemented").exists()
    assert ImprovementAction.objects.exclude(status="implemented").exists()
    demo.load(ctx)
    assert [model.objects.count() for model in MODELS] == first
