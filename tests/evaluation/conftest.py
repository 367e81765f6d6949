import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation.models import (
    CaseReuse,
    CaseStudy,
    Continuation,
    ImprovementAction,
    Measurement,
    ReportFile,
    Review,
    SatisfactionSurvey,
)
from issues.models import Issue, IssueStatus
from matching.models import Proposal
from matching.projects.models import Project
from partners.models import Organization, OrgStatus
from portal.models import DailyActivity, HealthCheck
from tests.evaluation.factories import IndicatorFactory, MemberFactory
from tests.issues.factories import IssueFactory, field
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory, ResourceFactory
from tests.portal.factories import UserFactory, ward

TOKYO = timezone.get_fixed_timezone(9 * 60)


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def planted(db, coordinator, org_a, org_b):
    """A small dataset around 年度2025 (2025-04-01 … 2026-03-31) with known KPI values."""
    chiyoda, setagaya = ward("13101"), ward("13112")
    elderly, children, education = field("高齢者支援"), field("子育て支援"), field("教育・人材育成")
    p1 = ProjectFactory(
        title="見守り連携",
        start_date=datetime.date(2025, 4, 1),
        ward=chiyoda,
        field=elderly,
        coordinator=coordinator,
    )
    p2 = ProjectFactory(
        title="子育てひろば", start_date=datetime.date(2026, 3, 31), ward=setagaya, field=children
    )
    p3 = ProjectFactory(
        title="学習支援",
        start_date=datetime.date(2025, 3, 31),
        ward=chiyoda,
        field=education,
        coordinator=coordinator,
        status=Project.Status.COMPLETED,
        end_date=datetime.date(2025, 9, 30),
    )
    p4 = ProjectFactory(
        title="中止事業",
        start_date=datetime.date(2024, 6, 1),
        ward=chiyoda,
        field=elderly,
        coordinator=coordinator,
        status=Project.Status.CANCELLED,
        end_date=datetime.date(2025, 12, 31),
    )
    p5 = ProjectFactory(title="長期事業", start_date=datetime.date(2023, 5, 1), ward=chiyoda)
    p1.organizations.add(org_a)
    p2.organizations.add(org_b)

    # Issues: 3 counted (2 elderly, 1 children); draft, withdrawn and next-year ones are not.
    issues = [
        IssueFactory(field=elderly),
        IssueFactory(field=elderly),
        IssueFactory(field=children),
        IssueFactory(field=elderly, status=IssueStatus.DRAFT),
        IssueFactory(field=elderly, status=IssueStatus.WITHDRAWN),
    ]
    Issue.objects.filter(pk__in=[i.pk for i in issues]).update(created_at=at(2025, 5, 1))
    late = IssueFactory(field=children)
    Issue.objects.filter(pk=late.pk).update(created_at=at(2026, 4, 1, 0, 0))

    # Organisations: org_a and org_b approved before the end of the 年度; a pending one is not.
    Organization.objects.update(created_at=at(2025, 1, 1))
    OrganizationFactory(status=OrgStatus.PENDING)

    # Proposals created in 年度2025: accepted, declined, expired, still waiting → 1/3.
    resource = ResourceFactory(organization=org_a)

    def proposal(status, created):
        p = Proposal.objects.create(
            issue=issues[0],
            resource=resource,
            organization=org_a,
            status=status,
            deadline=datetime.date(2025, 12, 1),
        )
        Proposal.objects.filter(pk=p.pk).update(created_at=created)
        return p

    proposal(Proposal.Status.ACCEPTED, at(2025, 4, 1, 0, 5))
    proposal(Proposal.Status.DECLINED, at(2025, 8, 1))
    proposal(Proposal.Status.EXPIRED, at(2026, 3, 31, 23, 50))
    proposal(Proposal.Status.SENT, at(2025, 9, 1))
    proposal(Proposal.Status.ACCEPTED, at(2025, 3, 31, 23, 30))  # 年度2024

    # Indicators of p1: +50 % (higher is better) and +25 % (lower is better); the rest do not count.
    visits = IndicatorFactory(project=p1, name="訪問件数")
    isolated = IndicatorFactory(project=p1, name="孤立世帯数", higher_is_better=False)
    single = IndicatorFactory(project=p1, name="1回だけ")
    quality = IndicatorFactory(project=p1, name="住民の声", kind="qualitative")
    for indicator, day, value in [
        (visits, datetime.date(2025, 4, 10), 100),
        (visits, datetime.date(2025, 10, 1), 150),
        (isolated, datetime.date(2025, 5, 1), 20),
        (isolated, datetime.date(2025, 12, 1), 15),
        (single, datetime.date(2025, 6, 1), 7),
    ]:
        Measurement.objects.create(indicator=indicator, measured_on=day, value=Decimal(value))
    Measurement.objects.create(
        indicator=quality, measured_on=datetime.date(2025, 6, 1), text="好評"
    )

    # Platform satisfaction in the 年度: 5, 4, 4 → 4.33 (a project survey and last year's do not count).
    for score, day, project in [
        (5, datetime.date(2025, 4, 1), None),
        (4, datetime.date(2025, 9, 1), None),
        (4, datetime.date(2026, 3, 31), None),
        (1, datetime.date(2025, 9, 1), p1),
        (1, datetime.date(2025, 3, 31), None),
    ]:
        SatisfactionSurvey.objects.create(
            project=project, respondent_type="resident", score=score, answered_on=day
        )

    # Continuation: started in 年度2024 (p3 継続, p4 終了) → 50 %; in 年度2023 (p5 発展) → 100 %.
    Continuation.objects.create(
        project=p3, years=1, state="continued", recorded_on=datetime.date(2026, 3, 31)
    )
    Continuation.objects.create(
        project=p4, years=1, state="ended", recorded_on=datetime.date(2025, 6, 1)
    )
    Continuation.objects.create(
        project=p5, years=2, state="developed", recorded_on=datetime.date(2025, 5, 1)
    )

    # Reviews of 年度2025: 4, 5, 3 → 4.00; actions 2 of 3 implemented → 66.7 %.
    members = [MemberFactory() for _ in range(3)]
    reviews = [
        Review.objects.create(
            project=p,
            member=m,
            kind="annual",
            fiscal_year=2025,
            score=s,
            reviewed_on=datetime.date(2026, 2, 1),
        )
        for p, m, s in [(p1, members[0], 4), (p1, members[1], 5), (p3, members[2], 3)]
    ]
    Review.objects.create(
        project=p1,
        member=members[0],
        kind="annual",
        fiscal_year=2024,
        score=1,
        reviewed_on=datetime.date(2025, 2, 1),
    )
    ImprovementAction.objects.create(review=reviews[0], recommendation="A", status="implemented")
    ImprovementAction.objects.create(review=reviews[1], recommendation="B", status="implemented")
    ImprovementAction.objects.create(
        review=reviews[2], recommendation="C", status="not_implemented"
    )

    # Reuse: best practice of p1 (千代田区) reused by 世田谷区 in the 年度 → 1.
    best = CaseStudy.objects.create(
        project=p1, kind="best", title="見守りの輪", summary="概要", published=True
    )
    failure = CaseStudy.objects.create(project=p2, kind="failure", title="失敗から", summary="概要")
    CaseReuse.objects.create(case=best, ward=setagaya, reused_on=datetime.date(2025, 5, 1))
    CaseReuse.objects.create(
        case=best, ward=chiyoda, reused_on=datetime.date(2025, 5, 1)
    )  # own ward
    CaseReuse.objects.create(case=best, ward=ward("13113"), reused_on=datetime.date(2026, 4, 1))
    CaseReuse.objects.create(case=failure, ward=chiyoda, reused_on=datetime.date(2025, 6, 1))

    # Activity: April 2 users, May 1 user, March 2026 (the 年度's last month) 1 user.
    u1, u2 = (
        UserFactory(username="active1", role="approver", ward=chiyoda),
        UserFactory(username="active2", role="approver"),
    )
    for user, day in [
        (u1, (2025, 4, 1)),
        (u1, (2025, 4, 15)),
        (u2, (2025, 4, 20)),
        (u1, (2025, 5, 3)),
        (u1, (2026, 3, 31)),
    ]:
        DailyActivity.objects.create(user=user, day=datetime.date(*day))
    DailyActivity.objects.create(user=u2, day=datetime.date(2025, 3, 31))

    # Health probes: 3 of 4 fully up → 75 %.
    for ok, moment in [
        (True, at(2025, 4, 1, 0, 0)),
        (True, at(2025, 6, 1)),
        (False, at(2025, 7, 1)),
        (True, at(2026, 3, 31, 23, 59)),
        (False, at(2025, 3, 31, 23, 59)),
    ]:
        check = HealthCheck.objects.create(database_ok=True, broker_ok=ok, worker_ok=True)
        HealthCheck.objects.filter(pk=check.pk).update(at=moment)

    # Published reports in the 年度: annual (twice) and Q1 → 2 periods.
    for quarter, moment in [
        (None, at(2025, 6, 1)),
        (None, at(2025, 7, 1)),
        (1, at(2025, 8, 1)),
        (2, at(2026, 4, 1, 9, 0)),
    ]:
        ReportFile.objects.create(
            fiscal_year=2025, quarter=quarter, format="csv", status="done", published_at=moment
        )
    return {
        "projects": [p1, p2, p3, p4, p5],
        "chiyoda": chiyoda,
        "setagaya": setagaya,
        "members": members,
        "reviews": reviews,
        "indicators": [visits, isolated, single, quality],
    }
