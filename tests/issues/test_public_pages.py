"""Public issue pages and the public list: what residents and companies see, and what they
never see (personal data, internal notes, scores, issues that are not public)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from issues import services
from issues.models import Issue, IssueStatus
from tests.issues.factories import IssueFactory, field
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db

INTERNAL_NOTE = "内部メモ：町会長の携帯 090-0000-0000 に直接連絡"
EVIDENCE = "根拠：非公開の区民アンケート原票"


def _public_url(issue: Issue) -> str:
    issue = Issue.objects.select_related("ward").get(pk=issue.pk)
    return reverse("issues:public_detail", args=[issue.public_ward_key, issue.pk])


def _english(client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


@pytest.fixture
def planted_issue(coordinator):
    return IssueFactory(
        title="商店街の空き店舗を子育て広場に",
        description="駅前商店街の空き店舗を、親子が立ち寄れる広場として使いたい。",
        internal_note=INTERNAL_NOTE,
        evidence=EVIDENCE,
        coordinator=coordinator,
        created_by=coordinator,
        area="神田錦町",
        target_groups=["families"],
        desired_resource_kinds=["facility"],
        sdgs=[11],
        desired_start=datetime.date(2026, 4, 1),
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_public_page_in_both_languages_without_internal_data(client, planted_issue, language):
    if language == "en":
        _english(client)
    response = client.get(_public_url(planted_issue))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert "商店街の空き店舗を子育て広場に" in html and "神田錦町" in html
    assert "SDG 11" in html
    assert INTERNAL_NOTE not in html and "090-0000-0000" not in html
    assert EVIDENCE not in html
    assert planted_issue.coordinator.username not in html
    assert planted_issue.ref not in html  # the internal reference number stays internal
    expected_day = "Wed 1 April 2026" if language == "en" else "2026年4月1日（水）"
    assert expected_day in html
    # The 分野 and the ward in the reader's language (they stayed Japanese in the English UI).
    issue = Issue.objects.select_related("field", "ward").get(pk=planted_issue.pk)
    if language == "en":
        assert issue.field.name_en and issue.field.name_en in html
        assert issue.ward.name_en in html and issue.ward.name_ja not in html
    else:
        assert issue.field.name in html and issue.ward.name_ja in html
    # How to take part: the partner registration and the consultation form.
    assert reverse("partners:register") in html and reverse("portal:consultation_new") in html


@pytest.mark.parametrize(
    "status", [IssueStatus.DRAFT, IssueStatus.REVIEWING, IssueStatus.ON_HOLD, IssueStatus.WITHDRAWN]
)
def test_an_issue_that_is_not_public_answers_404(client, status):
    issue = IssueFactory(status=status)
    assert client.get(_public_url(issue)).status_code == 404


def test_an_issue_under_another_wards_address_answers_404(client):
    issue = IssueFactory(ward=ward("13101"))
    assert client.get(_public_url(issue)).status_code == 200
    other = reverse("issues:public_detail", args=["13112", issue.pk])
    assert client.get(other).status_code == 404
    assert client.get(reverse("issues:public_detail", args=["all", issue.pk])).status_code == 404


def test_an_issue_of_no_ward_lives_under_all(client):
    issue = IssueFactory(ward=None)
    assert _public_url(issue) == f"/issues/public/all/{issue.pk}/"
    html = client.get(_public_url(issue)).content.decode()
    assert "区を問わない" in html


def test_progress_shows_each_step_with_its_tokyo_date(client, coordinator):
    # 15:30 UTC on 31 March is 00:30 on 1 April in Tokyo: the page says 1 April.
    with time_machine.travel(datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)):
        issue = IssueFactory(status=IssueStatus.REVIEWING)
        services.issue_status_change(issue=issue, status=IssueStatus.OPEN, changed_by=coordinator)
    with time_machine.travel(datetime.datetime(2026, 6, 10, 3, 0, tzinfo=datetime.UTC)):
        issue.refresh_from_db()
        services.issue_status_change(
            issue=issue, status=IssueStatus.COLLABORATING, changed_by=coordinator
        )
    response = client.get(_public_url(issue))
    steps = response.context["steps"]
    assert [(s["value"], s["state"]) for s in steps] == [
        ("open", "done"),
        ("collaborating", "current"),
        ("resolved", "todo"),
    ]
    html = response.content.decode()
    assert "2026年4月1日（水）" in html and "2026年6月10日（水）" in html
    assert 'aria-current="step"' in html
    assert "精査中" not in html  # a status before publication is not part of the public story


def test_public_list_pages_by_thirty_and_filters_by_ward_field_and_status(client):
    IssueFactory.create_batch(31, ward=ward("13101"))
    IssueFactory(title="世田谷の課題", ward=ward("13112"), field=field("子育て支援"))
    IssueFactory(title="解決した課題", status=IssueStatus.RESOLVED)
    IssueFactory(title="下書きの課題", status=IssueStatus.DRAFT)
    first = client.get(reverse("issues:public"))
    assert first.context["page"].paginator.count == 33
    assert len(first.context["rows"]) == 30
    assert "下書きの課題" not in first.content.decode()
    second = client.get(reverse("issues:public"), {"page": 2}).content.decode()
    assert "解決した課題" in second  # 募集中 first, then 連携中, then 解決
    by_ward = client.get(reverse("issues:public"), {"ward": "13112"})
    assert [i.title for i in by_ward.context["rows"]] == ["世田谷の課題"]
    by_field = client.get(reverse("issues:public"), {"field": field("子育て支援").pk})
    assert [i.title for i in by_field.context["rows"]] == ["世田谷の課題"]
    by_status = client.get(reverse("issues:public"), {"status": "resolved"})
    assert [i.title for i in by_status.context["rows"]] == ["解決した課題"]


def test_list_links_every_row_to_its_page_and_pages_through_htmx(client):
    IssueFactory.create_batch(31)
    response = client.get(
        reverse("issues:public"), {"ward": "13101"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="public-results"' in html
    issue = response.context["rows"][0]
    assert f'href="{_public_url(issue)}"' in html
    # The next page is a link that works without JavaScript and an HTMX request that keeps the
    # address bar in step.
    assert 'href="/issues/public/?ward=13101&amp;page=2"' in html
    assert 'hx-get="/issues/public/?ward=13101&amp;page=2"' in html
    assert 'hx-push-url="true"' in html


def test_the_map_links_each_ward_to_its_open_issues(client):
    IssueFactory(ward=ward("13101"))
    html = client.get(reverse("issues:public")).content.decode()
    assert 'href="/issues/public/?ward=13101&amp;status=open#h-list"' in html


def test_english_list_counts_issues_not_events(client):
    IssueFactory.create_batch(3)
    _english(client)
    html = client.get(reverse("issues:public")).content.decode()
    assert "3 events" not in html and '<html lang="en">' in html


def test_list_and_page_query_counts_do_not_grow_with_rows(
    client, coordinator, django_assert_max_num_queries
):
    issue = IssueFactory()
    for status in (IssueStatus.COLLABORATING, IssueStatus.OPEN):  # some history
        services.issue_status_change(issue=issue, status=status, changed_by=coordinator)
        issue.refresh_from_db()
    IssueFactory.create_batch(3)
    with django_assert_max_num_queries(30) as small_list:
        client.get(reverse("issues:public"))
    with django_assert_max_num_queries(30) as small_page:
        client.get(_public_url(issue))
    IssueFactory.create_batch(40)
    for status in (IssueStatus.COLLABORATING, IssueStatus.OPEN) * 3:
        services.issue_status_change(issue=issue, status=status, changed_by=coordinator)
        issue.refresh_from_db()
    with django_assert_max_num_queries(len(small_list)):
        client.get(reverse("issues:public"))
    with django_assert_max_num_queries(len(small_page)):
        client.get(_public_url(issue))
