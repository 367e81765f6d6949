import datetime
import sys
import types

import factory

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


def install_status_change_double(monkeypatch) -> list[dict]:
    """Test double for matching.services.project_status_change while matching builds it.

    Records the calls and applies the status, like the real service is expected to.
    """
    calls: list[dict] = []

    def project_status_change(*, project, status, changed_by=None):
        calls.append({"project": project.pk, "status": status, "changed_by": changed_by})
        project.status = status
        project.save(update_fields=["status"])
        return project

    try:
        import matching.services as real
    except ImportError:
        real = None
    if real is not None and hasattr(real, "project_status_change"):
        original = real.project_status_change

        def spy(*, project, status, changed_by=None):
            calls.append({"project": project.pk, "status": status, "changed_by": changed_by})
            return original(project=project, status=status, changed_by=changed_by)

        monkeypatch.setattr(real, "project_status_change", spy)
        return calls
    module = types.ModuleType("matching.services")
    module.project_status_change = project_status_change
    monkeypatch.setitem(sys.modules, "matching.services", module)
    return calls
