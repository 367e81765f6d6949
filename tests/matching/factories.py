import datetime

import factory

from matching.projects.models import Project


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"地域見守り連携事業 {n}")
    start_date = datetime.date(2025, 6, 1)
    status = Project.Status.PILOT


# --- matching fixtures (issue #5) -----------------------------------------------------------

PAIRS = [
    (
        "高齢者支援",
        "一人暮らし高齢者の見守りと安否確認",
        "一人暮らしの高齢者が増え、町会だけでは見守りと安否確認が行き届きません。",
        "センサーによる高齢者見守りサービス",
        "センサーで一人暮らし高齢者の安否確認と見守りを行うサービスを提供します。",
    ),
    (
        "子育て支援",
        "一時預かり保育と子育て相談の場が足りない",
        "子育て世帯が気軽に相談できる場所と一時預かり保育が不足しています。",
        "保育士による一時預かりと子育て相談",
        "保育士が一時預かり保育と子育て相談会を定期的に開催します。",
    ),
    (
        "防災・安全",
        "若い世代が参加する防災訓練",
        "町会の防災訓練への参加者が減り、若い世代が参加できる訓練を企画したい。",
        "謎解き型の防災訓練プログラム",
        "謎解きを取り入れた防災訓練プログラムで若い世代の参加を増やします。",
    ),
    (
        "環境・エネルギー",
        "商店街の省エネと脱炭素",
        "商店街の店舗で電気代が上がり、省エネと脱炭素の取り組みが進んでいません。",
        "省エネ診断と脱炭素の助言",
        "専門家が店舗の省エネ診断を行い、脱炭素に向けた設備更新を助言します。",
    ),
    (
        "多文化共生",
        "外国人住民への多言語での情報提供",
        "外国人住民に行政情報やごみ出しルールが伝わらず、多言語での案内が必要です。",
        "留学生による多言語通訳ボランティア",
        "留学生が多言語で通訳し、外国人住民向けの案内資料を翻訳します。",
    ),
]


def matching_world(n_pairs: int | None = None):
    """Issues and resources generated in matching pairs (issue i ↔ resource i)."""
    from issues.models import IssueStatus
    from tests.issues.factories import IssueFactory, field
    from tests.partners.factories import OrganizationFactory, ResourceFactory

    issues, resources = [], []
    for i, (field_name, ititle, idesc, rtitle, rdesc) in enumerate(PAIRS[:n_pairs]):
        issue = IssueFactory(
            ref=f"W-ISS-{i}",
            title=ititle,
            description=idesc,
            field=field(field_name),
            status=IssueStatus.OPEN,
        )
        org = OrganizationFactory(name=f"連携団体{i}")
        resource = ResourceFactory(
            ref=f"W-RES-{i}", organization=org, title=rtitle, description=rdesc, capacity=2
        )
        resource.fields.set([field(field_name)])
        issues.append(issue)
        resources.append(resource)
    return issues, resources


def proposal_candidate(coordinator, *, org_name: str = "株式会社みまもりセンサー"):
    """An open issue of 千代田区 (coordinator with a department, budget and period) and one
    candidate of an organisation with neither members nor contacts: (issue, org, candidate)."""
    from matching.models import Candidate
    from tests.issues.factories import IssueFactory, field
    from tests.partners.factories import OrganizationFactory, ResourceFactory
    from tests.portal.factories import ward

    coordinator.department = "地域振興部 協働推進課"
    coordinator.save()
    issue = IssueFactory(
        title="一人暮らし高齢者の見守りと安否確認",
        ward=ward("13101"),
        field=field("高齢者支援"),
        coordinator=coordinator,
        budget_min=300_000,
        budget_max=800_000,
        desired_start=datetime.date(2027, 4, 1),
        desired_end=datetime.date(2028, 3, 31),
    )
    org = OrganizationFactory(name=org_name)
    resource = ResourceFactory(organization=org, title="センサーによる見守りサービス")
    candidate = Candidate.objects.create(issue=issue, resource=resource, rank=1, score=0.9)
    return issue, org, candidate
