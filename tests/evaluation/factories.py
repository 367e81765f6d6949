import datetime

import factory

from evaluation.committee.models import RubricCriterion
from evaluation.models import (
    CommitteeMember,
    IndicatorKind,
    Level,
    Measurement,
    ProjectIndicator,
)
from tests.matching.factories import ProjectFactory


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectIndicator

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"見守り訪問件数 {n}")
    level = Level.OUTPUT
    kind = IndicatorKind.QUANTITATIVE
    unit = "件"


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    indicator = factory.SubFactory(IndicatorFactory)
    measured_on = datetime.date(2025, 7, 1)
    value = 10


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    name = factory.Sequence(lambda n: f"評価委員{n}")
    affiliation = "城南大学 教授"


def rubric_scores(*scores: int, comment: str = "") -> dict:
    """{criterion: (score, comment)} for every active rubric criterion: one score for all of
    them, or one per criterion in the rubric's order."""
    criteria = list(RubricCriterion.objects.filter(active=True).order_by("order", "name"))
    values = scores * len(criteria) if len(scores) == 1 else scores
    return {c: (value, comment) for c, value in zip(criteria, values, strict=True)}


def install_status_change_spy(monkeypatch) -> list[dict]:
    """Records each call evaluation makes to matching's project_status_change (the real one runs)."""
    from matching.projects import services as project_services

    calls: list[dict] = []
    original = project_services.project_status_change

    def spy(*, project, status, changed_by=None):
        calls.append({"project": project.pk, "status": status, "changed_by": changed_by})
        return original(project=project, status=status, changed_by=changed_by)

    monkeypatch.setattr(project_services, "project_status_change", spy)
    return calls
