"""Exposure log and the concentration of proposals on a few organisations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Decision, ExposureLog
from matching.proposals.services import proposal_create
from matching.selectors import fairness_figures
from tests.issues.factories import IssueFactory
from tests.partners.factories import OrganizationFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def propose(resource, n: int) -> None:
    for _ in range(n):
        decision = Decision.objects.create(
            issue=IssueFactory(), resource=resource, verdict="approved"
        )
        proposal_create(decision=decision, created_by=None)


def test_top_ten_percent_share_of_proposals(client, coordinator, partner_a):
    orgs = [OrganizationFactory() for _ in range(20)]
    busy = ResourceFactory(organization=orgs[0])
    propose(busy, 8)
    propose(ResourceFactory(organization=orgs[1]), 1)
    propose(ResourceFactory(organization=orgs[2]), 1)
    assert ExposureLog.objects.filter(kind="proposed").count() == 10
    figures = fairness_figures()
    # 22 approved organisations (20 + the fixtures' org_a) → top 10 % = 3 organisations
    assert figures["top_n"] == 3
    assert figures["top_share"] == 100.0
    assert figures["rows"][0]["organization_id"] == orgs[0].pk
    assert figures["rows"][0]["percent"] == 80.0
    client.force_login(coordinator)
    page = client.get(reverse("matching:fairness")).content.decode()
    assert "偏りがあります。" in page
    assert orgs[0].name in page
    client.force_login(partner_a)
    assert client.get(reverse("matching:fairness")).status_code == 403


def test_no_proposals_yet(client, evaluator):
    client.force_login(evaluator)
    assert "まだ提案がありません。" in client.get(reverse("matching:fairness")).content.decode()


def test_shares_by_type_size_and_ward_in_queries_that_do_not_grow(
    client, coordinator, django_assert_num_queries
):
    from matching.models import MatchRun
    from tests.portal.factories import ward

    university = OrganizationFactory(
        name="城東大学", org_type="university", size="private", ward=ward("13101")
    )
    company = OrganizationFactory(name="株式会社みなと", org_type="company", size="", ward=None)
    run = MatchRun.objects.create(key="r", scope="all", status="succeeded")
    ExposureLog.objects.create(organization=university, kind="shown", count=3, run=run)
    ExposureLog.objects.create(organization=company, kind="shown", count=1, run=run)

    def counted():
        with django_assert_num_queries(2):
            return fairness_figures(kind="shown")

    groups = counted()["groups"]
    assert [(g["label"], g["total"], g["percent"]) for g in groups["org_type"]] == [
        ("大学", 3, 75),
        ("企業", 1, 25),
    ]
    assert [g["label"] for g in groups["size"]] == ["私立", "規模未登録"]
    assert [g["label"] for g in groups["ward"]] == ["千代田区", "所在区なし（区外・未登録）"]
    for n in range(5):  # more organisations, the same two queries
        ExposureLog.objects.create(organization=OrganizationFactory(), kind="shown", count=n + 1)
    assert counted()["total"] == 4 + 15

    client.force_login(coordinator)
    page = client.get(reverse("matching:fairness")).content.decode()
    assert "城東大学" in page and "団体の規模" in page and "千代田区" in page
    assert "最後の実行（#" in page and "上限は設定されていません" in page
    MatchRun.objects.filter(pk=run.pk).update(
        cap_effect={
            "percent": 10, "slots": 10, "limit": 1, "moved": 1, "unmet": 0,
            "off": {"mrr": 1.0, "ndcg": 1.0, "top_share": 30.0},
            "on": {"mrr": 1.0, "ndcg": 0.9876, "top_share": 20.0},
        }
    )  # fmt: skip
    page = client.get(reverse("matching:fairness")).content.decode()
    assert "0.988" in page and "30.0%" in page and "20.0%" in page
    assert "上限により移した候補 1 件" in page
