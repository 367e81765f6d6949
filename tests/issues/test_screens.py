"""Registration, the issue page (priority, history, duplicates), map, public list, permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issues import similarity
from issues.models import Issue, IssueLink, IssueStatus
from portal.models import AccessLog
from tests.issues.factories import IssueFactory, field, issue_data
from tests.portal.factories import ward

# --- registration ---------------------------------------------------------------------------


def test_register_generates_ref_and_shows_similar_issues(client, coordinator):
    IssueFactory(
        ref="OLD-1",
        ward=ward("13112"),
        title="公園の遊具の老朽化",
        description="三軒茶屋の児童公園で遊具の老朽化が進み、子どもが安心して遊べない。",
    )
    IssueFactory(
        ref="OTHER",
        title="町工場の後継者不足",
        description="技術を持つ町工場で後継者が見つからない。",
    )
    client.force_login(coordinator)
    response = client.post(reverse("issues:create"), issue_data(), follow=True)
    assert response.status_code == 200
    issue = Issue.objects.exclude(ref__in=["OLD-1", "OTHER"]).get()
    assert issue.ref.startswith("13101-") and issue.created_by == coordinator
    similar = response.context["similar"]
    assert [s["issue"].ref for s in similar] == ["OLD-1"]
    assert similarity.THRESHOLD <= similar[0]["score"] <= 1
    assert "似ている課題" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "課題名を入力してください"),
        ({"title": "あ" * 201}, "200"),
        ({"description": "い" * 5001}, "5000"),
        ({"ward": "999999"}, "区を一覧から選んでください"),
        ({"field": "999999"}, "分野を一覧から選んでください"),
        ({"urgency": "6"}, "1〜5で選んでください"),
        ({"budget_min": "500", "budget_max": "100"}, "予算上限は予算下限以上"),
        (
            {"desired_start": "2026-05-01", "desired_end": "2026-04-01"},
            "希望終了日は希望開始日以降",
        ),
        ({"title": "=cmd|' /C calc'!A0"}, "数式"),
    ],
)
def test_register_rejects_bad_input(client, coordinator, overrides, message):
    client.force_login(coordinator)
    response = client.post(reverse("issues:create"), issue_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Issue.objects.count() == 0


def test_edit_with_stale_version_is_refused(client, coordinator):
    issue = IssueFactory()
    client.force_login(coordinator)
    data = issue_data(version="1", title="私の変更")
    data.pop("status")
    Issue.objects.filter(pk=issue.pk).update(version=2, title="他の人の変更")
    response = client.post(reverse("issues:edit", args=[issue.pk]), data)
    assert response.status_code == 400
    assert "他の人が更新しました" in response.content.decode()
    issue.refresh_from_db()
    assert issue.title == "他の人の変更"


# --- issue page -----------------------------------------------------------------------------


def test_issue_page_explains_priority_and_shows_history(client, coordinator):
    issue = IssueFactory(status=IssueStatus.REVIEWING)
    client.force_login(coordinator)
    client.post(
        reverse("issues:change", args=[issue.pk, "status"]), {"status": "open", "version": 1}
    )
    response = client.get(reverse("issues:detail", args=[issue.pk]))
    html = response.content.decode()
    assert "この課題がこの順位にある理由" in html
    assert "精査中 → 募集中" in html
    assert str(coordinator) in html


def test_link_as_same_issue_other_ward_shows_on_both(client, coordinator):
    mine = IssueFactory()
    theirs = IssueFactory(ward=ward("13112"))
    client.force_login(coordinator)
    client.post(
        reverse("issues:link_create", args=[mine.pk]),
        {"other": theirs.pk, "kind": "same_other_ward", "similarity": "0.8"},
    )
    link = IssueLink.objects.get()
    assert (link.from_issue, link.to_issue, link.kind) == (mine, theirs, "same_other_ward")
    for issue, other in ((mine, theirs), (theirs, mine)):
        html = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
        assert "他区の同一課題" in html and other.ref in html


def test_similar_fragment_for_htmx(client, coordinator):
    issue = IssueFactory(title="一人暮らし高齢者の見守り")
    IssueFactory(title="一人暮らし高齢者の見守り", ward=ward("13112"))
    client.force_login(coordinator)
    response = client.get(
        reverse("issues:similar", args=[issue.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="similar-list"' in body and "%" in body


# --- map and public list --------------------------------------------------------------------


def test_map_counts_open_issues_per_ward_with_links_table_and_credit(client, coordinator):
    IssueFactory.create_batch(3, status=IssueStatus.OPEN)
    IssueFactory(status=IssueStatus.REVIEWING)
    IssueFactory(status=IssueStatus.RESOLVED)
    IssueFactory(ward=ward("13112"), status=IssueStatus.OPEN)
    client.force_login(coordinator)
    response = client.get(reverse("issues:map"))
    html = response.content.decode()
    assert html.count("<path ") == 23
    assert 'aria-label="千代田区 4件"' in html
    assert 'href="/issues/?ward=13101"' in html
    assert "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成" in html
    wards = {w["ward"].code: w for w in response.context["map"]["wards"]}
    assert wards["13101"]["count"] == 4 and wards["13101"]["cls"] == 4
    assert wards["13112"]["count"] == 1 and wards["13123"]["count"] == 0
    assert '<th scope="row"><a href="/issues/?ward=13101">千代田区</a></th><td>4</td>' in html


def test_public_list_is_anonymous_and_has_no_internal_data(client, coordinator):
    IssueFactory(title="公開の課題", internal_note="内部だけのメモ", coordinator=coordinator)
    IssueFactory(title="下書きの課題", status=IssueStatus.DRAFT)
    response = client.get(reverse("issues:public"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "公開の課題" in html and "下書きの課題" not in html
    assert "内部だけのメモ" not in html and str(coordinator) not in html
    assert "出典：国土数値情報" in html


def test_public_list_in_english(client, db):
    IssueFactory()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("issues:public"))
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "en"


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["triage", "map", "create", "import"])
def test_anonymous_is_sent_to_login_and_the_refusal_is_logged(client, db, name):
    response = client.get(reverse(f"issues:{name}"))
    assert response.status_code == 302 and "/login" in response["Location"]
    refusal = AccessLog.objects.get(kind=AccessLog.Kind.DENIED)
    assert refusal.path == reverse(f"issues:{name}") and refusal.detail == "anonymous"


@pytest.mark.parametrize("name", ["triage", "map", "create", "import"])
def test_partner_is_refused_staff_screens(client, partner_a, name):
    client.force_login(partner_a)
    assert client.get(reverse(f"issues:{name}")).status_code == 403


def test_partner_cannot_see_an_issue_page_or_export(client, partner_a):
    issue = IssueFactory(internal_note="内部メモ")
    client.force_login(partner_a)
    assert client.get(reverse("issues:detail", args=[issue.pk])).status_code == 403
    assert client.get(reverse("issues:export", args=["csv"])).status_code == 403


def test_other_ward_coordinator_sees_but_cannot_edit(client, coordinator_other_ward):
    issue = IssueFactory(internal_note="千代田区の内部メモ", status=IssueStatus.REVIEWING)
    client.force_login(coordinator_other_ward)
    triage = client.get(reverse("issues:triage"))
    assert issue.title in triage.content.decode()
    assert f'id="s-{issue.pk}"' not in triage.content.decode()  # no inline controls
    page = client.get(reverse("issues:detail", args=[issue.pk]))
    assert page.status_code == 200 and "千代田区の内部メモ" not in page.content.decode()
    assert client.get(reverse("issues:edit", args=[issue.pk])).status_code == 403
    response = client.post(
        reverse("issues:change", args=[issue.pk, "status"]), {"status": "open", "version": 1}
    )
    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.status == IssueStatus.REVIEWING


def test_internal_note_for_own_ward_staff_admin_and_evaluator(
    client, approver, evaluator, admin_user
):
    issue = IssueFactory(internal_note="千代田区の内部メモ")
    for user in (approver, evaluator, admin_user):
        client.force_login(user)
        assert (
            "千代田区の内部メモ"
            in client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
        )


def test_dashboard_cards(client, coordinator, admin_user):
    IssueFactory(urgency=5, importance=5, difficulty=1, title="優先度の高い未割当の課題")
    client.force_login(coordinator)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert "担当区の地域課題" in html and "優先度の高い未割当の課題" in html
    client.force_login(admin_user)
    assert "地域課題データベース" in client.get(reverse("portal:dashboard")).content.decode()


def test_demo_is_idempotent_and_shows_the_gap(db, coordinator):
    from collections import Counter

    from issues import demo
    from portal.registry import DemoContext

    ctx = DemoContext(seed=1, password="x", log=lambda _m: None)
    demo.load(ctx)
    count = Issue.objects.count()
    demo.load(ctx)
    assert Issue.objects.count() == count >= 250
    fields = Counter(Issue.objects.values_list("field__name", flat=True))
    top_two = {name for name, _n in fields.most_common(2)}
    assert top_two == {"高齢者支援", "子育て支援"}
    assert Issue.objects.values("ward").distinct().count() == 23
    assert IssueLink.objects.exists()
    assert field("その他")  # the list stays editable: demo only uses existing fields
