"""Filtering by SDG goal matches the goal as a whole number, on SQLite and PostgreSQL alike."""

import pytest

from issues.models import Issue
from partners.models import Resource
from portal.sdgs import sdg_filter
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("goal", "expected"), [(1, {"a"}), (11, {"b", "c"}), (7, set()), (17, {"c"})]
)
def test_issues_by_goal(goal, expected):
    IssueFactory(ref="a", sdgs=[1])
    IssueFactory(ref="b", sdgs=[11])
    IssueFactory(ref="c", sdgs=[3, 11, 17])
    IssueFactory(ref="d", sdgs=[])
    found = set(Issue.objects.filter(sdg_filter("sdgs", goal)).values_list("ref", flat=True))
    assert found == expected


def test_resources_by_goal():
    one = ResourceFactory(sdgs=[1, 4])
    ResourceFactory(sdgs=[10, 14])
    assert list(Resource.objects.filter(sdg_filter("sdgs", 1))) == [one]


@pytest.mark.postgres
def test_postgresql_answers_the_goal_filter_from_the_gin_index():
    from django.db import connection

    from tests.conftest import IN_CI, require_service

    if connection.vendor != "postgresql":
        require_service(not IN_CI, "PostgreSQL for the SDG index")
        pytest.skip("the GIN index exists on PostgreSQL only")
    IssueFactory(ref="a", sdgs=[1])
    # Unordered: with the model's default ordering the planner may walk an ordering index and
    # filter, which says nothing about whether the filter itself can use the GIN index.
    query = Issue.objects.filter(sdg_filter("sdgs", 1)).order_by().only("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "issues_issue_sdgs_gin" in plan
