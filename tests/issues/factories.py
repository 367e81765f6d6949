import factory

from issues.models import Issue, IssueStatus
from issues.priority import DEFAULT_WEIGHTS, Weights, priority_compute
from portal.models import Field, Ward


def field(name: str = "高齢者支援") -> Field:
    return Field.objects.get(name=name)


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    ref = factory.Sequence(lambda n: f"ISS-{n:05d}")
    title = factory.Sequence(lambda n: f"高齢者の見守り体制の強化 {n}")
    description = "一人暮らしの高齢者が増え、地域での見守りや安否確認の担い手が不足している。"
    ward = factory.LazyFunction(lambda: Ward.objects.get(code="13101"))
    field = factory.LazyFunction(field)
    status = IssueStatus.OPEN
    urgency = 4
    importance = 4
    difficulty = 3
    priority = factory.LazyAttribute(
        lambda o: priority_compute(
            urgency=o.urgency,
            importance=o.importance,
            difficulty=o.difficulty,
            weights=Weights(*DEFAULT_WEIGHTS),
        )
    )


def issue_data(**overrides) -> dict:
    """POST data for the registration form."""
    data = {
        "title": "公園の遊具の老朽化",
        "description": "神田の児童公園で遊具の老朽化が進み、子どもが安心して遊べない。",
        "ward": str(Ward.objects.get(code="13101").pk),
        "area": "神田錦町",
        "field": str(field("子育て支援").pk),
        "urgency": "4",
        "importance": "5",
        "difficulty": "2",
        "source": "survey",
        "status": "draft",
    }
    data.update(overrides)
    return data
