"""Each hard filter and soft signal, observed through the candidates a refresh produces."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from matching.models import Candidate
from matching.projects.models import Project
from matching.rules import (
    FEATURES,
    Lookups,
    load_issues,
    load_resources,
    rule_features,
    rule_score_block,
)
from matching.runs.services import matching_refresh_issue
from partners.models import OrgStatus, ResourceStatus
from tests.issues.factories import IssueFactory, field
from tests.partners.factories import OrganizationFactory, ResourceFactory
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db

TITLE = "高齢者の見守りと安否確認"
TEXT = "一人暮らしの高齢者の見守りと安否確認を地域で行う。"


def issue(**kwargs):
    defaults = {"title": TITLE, "description": TEXT, "field": field("高齢者支援")}
    return IssueFactory(**{**defaults, **kwargs})


def resource(**kwargs):
    defaults = {"title": "高齢者見守りサービス", "description": TEXT}
    res = ResourceFactory(**{**defaults, **kwargs})
    return res


def ranked(an_issue) -> list:
    matching_refresh_issue(issue_id=an_issue.pk)
    return list(
        Candidate.objects.filter(issue=an_issue, current=True)
        .order_by("rank")
        .values_list("resource_id", flat=True)
    )


def rule_codes(an_issue, res) -> set[str]:
    candidate = Candidate.objects.get(issue=an_issue, resource=res)
    return {rule["code"] for rule in candidate.explanation["rules"]}


def test_ward_rule():
    an_issue = issue(ward=ward("13101"))
    everywhere = resource()
    served = resource(serves_all_wards=False)
    served.wards.set([ward("13101")])
    elsewhere = resource(serves_all_wards=False)
    elsewhere.wards.set([ward("13112")])
    nowhere = resource(serves_all_wards=False)  # a resource in no ward matches nothing
    found = ranked(an_issue)
    assert set(found) == {everywhere.pk, served.pk}
    assert elsewhere.pk not in found and nowhere.pk not in found
    assert "ward_all" in rule_codes(an_issue, everywhere)
    assert "ward_served" in rule_codes(an_issue, served)
    # an issue without a ward accepts every ward's resources
    any_ward = issue(ward=None)
    assert {elsewhere.pk, served.pk, everywhere.pk} <= set(ranked(any_ward))


def test_period_rule():
    an_issue = issue(
        desired_start=datetime.date(2026, 4, 1), desired_end=datetime.date(2026, 9, 30)
    )
    overlapping = resource(
        available_from=datetime.date(2026, 9, 1), available_until=datetime.date(2027, 3, 31)
    )
    open_ended = resource(available_from=None, available_until=None)
    too_late = resource(available_from=datetime.date(2026, 10, 1))
    too_early = resource(available_until=datetime.date(2026, 3, 31))
    found = ranked(an_issue)
    assert set(found) == {overlapping.pk, open_ended.pk}
    assert too_late.pk not in found and too_early.pk not in found
    assert "period" in rule_codes(an_issue, overlapping)


@pytest.mark.parametrize("status", [OrgStatus.SUSPENDED, OrgStatus.PENDING, OrgStatus.REJECTED])
def test_organisation_must_be_approved(status):
    an_issue = issue()
    good = resource()
    bad = resource(organization=OrganizationFactory(status=status))
    assert ranked(an_issue) == [good.pk]
    assert bad.pk not in ranked(an_issue)


def test_resource_must_be_active():
    an_issue = issue()
    good = resource()
    resource(status=ResourceStatus.PAUSED)
    resource(status=ResourceStatus.RETIRED)
    assert ranked(an_issue) == [good.pk]


def test_capacity_left():
    an_issue = issue()
    full = resource(capacity=1)
    left = resource(capacity=2)
    Project.objects.create(
        title="稼働中", start_date=datetime.date(2026, 4, 1), status="pilot", resource=full
    )
    Project.objects.create(
        title="稼働中2", start_date=datetime.date(2026, 4, 1), status="pilot", resource=left
    )
    Project.objects.create(
        title="完了", start_date=datetime.date(2025, 4, 1), status="completed", resource=left
    )
    assert ranked(an_issue) == [left.pk]
    rules = Candidate.objects.get(resource=left).explanation["rules"]
    assert {"code": "capacity", "left": 1} in rules


def test_field_signal_raises_a_resource():
    an_issue = issue()
    same_field = resource()
    same_field.fields.set([field("高齢者支援")])
    other_field = resource()
    other_field.fields.set([field("防災・安全")])
    assert ranked(an_issue) == [same_field.pk, other_field.pk]
    assert "field" in rule_codes(an_issue, same_field)
    assert "field" not in rule_codes(an_issue, other_field)


def test_sdg_and_kind_signals():
    an_issue = issue(sdgs=[3, 11], desired_resource_kinds=["technology"])
    plain = resource(kind="people")
    sdg = resource(kind="people", sdgs=[3])
    kind = resource(kind="technology")
    found = ranked(an_issue)
    assert found.index(sdg.pk) < found.index(plain.pk)
    assert found.index(kind.pk) < found.index(plain.pk)
    candidate = Candidate.objects.get(issue=an_issue, resource=sdg)
    assert candidate.components["features"]["sdg"] == 0.5
    assert {"code": "sdg", "goals": [3]} in candidate.explanation["rules"]
    assert "kind" in rule_codes(an_issue, kind)


def test_same_and_adjacent_ward_signals():
    an_issue = issue(ward=ward("13101"))  # 千代田区
    far = resource(organization=OrganizationFactory(ward=ward("13123")))  # 江戸川区
    same = resource(organization=OrganizationFactory(ward=ward("13101")))
    adjacent = resource(organization=OrganizationFactory(ward=ward("13102")))  # 中央区
    assert ranked(an_issue) == [same.pk, adjacent.pk, far.pk]
    assert "same_ward" in rule_codes(an_issue, same)
    assert "adjacent_ward" in rule_codes(an_issue, adjacent)
    assert not {"same_ward", "adjacent_ward"} & rule_codes(an_issue, far)


def test_track_record_signal():
    an_issue = issue()
    newcomer = resource()
    veteran = resource()
    project = Project.objects.create(
        title="見守り",
        start_date=datetime.date(2024, 4, 1),
        status="completed",
        field=field("高齢者支援"),
    )
    project.organizations.set([veteran.organization])
    assert ranked(an_issue) == [veteran.pk, newcomer.pk]
    assert {"code": "track_record", "count": 1} in Candidate.objects.get(
        resource=veteran
    ).explanation["rules"]


def test_unrelated_resource_is_not_a_candidate():
    an_issue = issue()
    resource(title="商店街のマルシェ開催", description="商店街でマルシェを開く。")
    assert ranked(an_issue) == []


def test_explanation_contributions_add_up_to_the_score():
    an_issue = issue(ward=ward("13101"))
    res = resource(organization=OrganizationFactory(ward=ward("13101")))
    res.fields.set([field("高齢者支援")])
    ranked(an_issue)
    candidate = Candidate.objects.get(issue=an_issue, resource=res)
    contributions = candidate.components["contributions"]
    assert sum(contributions.values()) == pytest.approx(candidate.score, abs=1e-3)
    terms = candidate.explanation["terms"]
    assert terms and terms[0][1] >= terms[-1][1]
    assert sum(w for _, w in terms) <= candidate.components["features"]["text"] + 1e-3


def test_block_score_is_the_weighted_sum_of_each_pairs_rule_features():
    # A run scores a block's rules as one matrix product (rule_score_block); the explanation
    # reads each pair's features (rule_features). Both must say the same for every kind of pair:
    # no ward or field on the resource side, no ward on the issue, several kinds and goals, a
    # track record.
    issues = [
        issue(ward=ward("13101"), sdgs=[3, 11], desired_resource_kinds=["people", "funding"]),
        issue(ward=None, field=field("子育て支援"), sdgs=[], desired_resource_kinds=[]),
        issue(ward=ward("13123"), field=field("防災・安全"), sdgs=[11]),
    ]
    resources = [
        resource(organization=OrganizationFactory(ward=ward("13101")), sdgs=[3]),
        resource(organization=OrganizationFactory(ward=ward("13102")), kind="funding"),
        resource(organization=OrganizationFactory(ward=None), sdgs=[11, 13], kind="facility"),
    ]
    resources[0].fields.set([field("高齢者支援")])
    resources[1].fields.set([field("防災・安全")])
    project = Project.objects.create(
        title="見守り",
        start_date=datetime.date(2024, 4, 1),
        status="completed",
        field=field("高齢者支援"),
    )
    project.organizations.set([resources[0].organization])
    lookups = Lookups.load()
    issue_table = load_issues([i.pk for i in issues], lookups)
    resource_table = load_resources(lookups)
    weights = dict(zip(FEATURES, [0.3, 0.7, 0.2, -0.1, 0.3, 0.25, -0.05, 0.4], strict=True))

    block = rule_score_block(issue_table, resource_table, slice(0, 3), weights)

    rows, columns = np.meshgrid(np.arange(3), np.arange(len(resource_table)), indexing="ij")
    pairs = rule_features(issue_table, resource_table, rows.ravel(), columns.ravel())
    expected = sum(weights[name] * values for name, values in pairs.items())
    np.testing.assert_allclose(block.ravel(), expected, atol=1e-6)
    # every rule weighed something somewhere: the comparison covered each of them
    assert all(np.any(values != 0) for values in pairs.values())
