import factory

from issues.models import Issue, IssueStatus
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
