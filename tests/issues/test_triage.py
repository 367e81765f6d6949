"""The triage screen: full page, HTMX fragment, filters, inline changes, bulk assign, speed."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue, IssueStatus
from tests.issues.factories import IssueFactory, field
from tests.portal.factories import ward

URL = "/issues/"


def test_full_page_and_htmx_fragment(client, coordinator):
    IssueFactory(title="一人暮らし高齢者の見守り")
    client.force_login(coordinator)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and "一人暮らし高齢者の見守り" in html
    fragment = client.get(URL, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and 'id="triage-results"' in body
    assert "一人暮らし高齢者の見守り" in body
    assert "HX-Request" in fragment["Vary"]


def test_filters_and_japanese_search(client, coordinator):
    IssueFactory(title="買い物弱者への移動販売", ward=ward("13112"), field=field("高齢者支援"))
    IssueFactory(title="病児保育の不足", field=field("子育て支援"), sdgs=[3, 5])
    IssueFactory(title="多言語の防災情報", status=IssueStatus.DRAFT, sdgs=[11])
    client.force_login(coordinator)

    def titles(query: str) -> set[str]:
        response = client.get(URL + "?" + query)
        return {issue.title for issue in response.context["rows"]}

    assert titles("ward=13112") == {"買い物弱者への移動販売"}
    assert titles(f"field={field('子育て支援').pk}") == {"病児保育の不足"}
    assert titles("status=draft") == {"多言語の防災情報"}
    assert titles("sdg=5") == {"病児保育の不足"}
    assert titles("sdg=1") == set()
    # NFKC: full-width space between words, every word must match (AND)
    assert titles("q=移動　販売") == {"買い物弱者への移動販売"}
    assert titles("q=移動 保育") == set()
    assert titles("coordinator=none&priority_min=0&priority_max=100") == {
        "買い物弱者への移動販売",
        "病児保育の不足",
        "多言語の防災情報",
    }


def test_sort_and_pagination(client, coordinator):
    Issue.objects.bulk_create(
        IssueFactory.build(ref=f"P-{n:03d}", urgency=1 + n % 5, priority=n % 100) for n in range(60)
    )
    client.force_login(coordinator)
    first = client.get(URL)
    assert len(first.context["rows"]) == 50
    priorities = [row.priority for row in first.context["rows"]]
    assert priorities == sorted(priorities, reverse=True)
    second = client.get(URL + "?page=2")
    assert len(second.context["rows"]) == 10
    by_ref = client.get(URL + "?sort=ref")
    assert by_ref.context["rows"][0].ref == "P-000"


def test_inline_status_change_returns_the_row(client, coordinator):
    issue = IssueFactory(status=IssueStatus.REVIEWING)
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:change", args=[issue.pk, "status"]),
        {"status": "open", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<tr") and f'id="issue-row-{issue.pk}"' in body
    assert "状態を変更しました" in body
    issue.refresh_from_db()
    assert issue.status == IssueStatus.OPEN


def test_inline_forbidden_transition_and_conflict_change_nothing(client, coordinator):
    issue = IssueFactory(status=IssueStatus.DRAFT)
    client.force_login(coordinator)
    url = reverse("issues:change", args=[issue.pk, "status"])
    response = client.post(
        url, {"status": "resolved", "version": 1}, headers={"HX-Request": "true"}
    )
    assert "変更できません" in response.content.decode()
    response = client.post(
        url, {"status": "reviewing", "version": 0}, headers={"HX-Request": "true"}
    )
    assert "他の人が更新しました" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == IssueStatus.DRAFT and issue.version == 1


def test_inline_scores_and_coordinator(client, coordinator):
    issue = IssueFactory(urgency=1, importance=1, difficulty=5)
    client.force_login(coordinator)
    client.post(
        reverse("issues:change", args=[issue.pk, "scores"]),
        {"urgency": 5, "importance": 5, "difficulty": 1, "version": 1},
        headers={"HX-Request": "true"},
    )
    issue.refresh_from_db()
    assert float(issue.priority) == 100.0
    client.post(
        reverse("issues:change", args=[issue.pk, "coordinator"]),
        {"coordinator": coordinator.pk, "version": issue.version},
        headers={"HX-Request": "true"},
    )
    issue.refresh_from_db()
    assert issue.coordinator == coordinator


def test_inline_change_without_javascript_redirects(client, coordinator):
    issue = IssueFactory(status=IssueStatus.REVIEWING)
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:change", args=[issue.pk, "status"]),
        {"status": "open", "version": 1, "next": URL},
    )
    assert response.status_code == 302 and response["Location"] == URL


def test_bulk_assign_skips_other_wards(client, coordinator):
    mine = IssueFactory.create_batch(3)
    other = IssueFactory(ward=ward("13112"))
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:bulk_assign"),
        {"ids": [i.pk for i in mine] + [other.pk], "coordinator": coordinator.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "3件の担当を変更しました" in response.content.decode()
    assert Issue.objects.filter(coordinator=coordinator).count() == 3
    other.refresh_from_db()
    assert other.coordinator is None


def _rows(n: int) -> None:
    start = Issue.objects.count()
    Issue.objects.bulk_create(
        IssueFactory.build(ref=f"Q-{start + i:05d}", ward=ward("13101" if i % 2 else "13112"))
        for i in range(n)
    )


@pytest.mark.parametrize("rows", [5, 50])
def test_query_count_does_not_grow_with_rows(
    client, coordinator, django_assert_max_num_queries, rows
):
    _rows(rows)
    client.force_login(coordinator)
    client.get(URL)  # session, activity record of the day
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert len(response.context["rows"]) == rows


def test_ten_thousand_issues_cost_the_same_queries_as_five(client, coordinator):
    # Speed is a figure (benchmarks/bench_screens.py), not a timed test: what a test can hold
    # on a loaded machine is that the work per page does not grow with the database. The clock
    # stands still: writing 10,000 rows can take over a minute there, and the session's
    # once-a-minute "last seen" write would then be counted against the large page.
    with time_machine.travel(timezone.now(), tick=False):
        client.force_login(coordinator)
        _rows(5)
        client.get(URL)
        with CaptureQueriesContext(connection) as small:
            client.get(URL)
        _rows(10_000)
        with CaptureQueriesContext(connection) as large:
            response = client.get(URL)
        assert response.context["page"].paginator.count == 10_005
        assert len(response.context["rows"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)
