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
