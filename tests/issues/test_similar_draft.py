"""Similar issues across wards: the hybrid score, and candidates shown while an issue is typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issues import similarity
from issues.models import IssueStatus
from portal.textengine import embedding
from portal.textengine.models import TextEmbedding
from tests.issues.factories import IssueFactory, field
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db

# The demo's 一人暮らし高齢者の見守り (issues/demo.py), as eight wards registered it.
MIMAMORI = (
    "一人暮らし高齢者の見守り",
    "{ward}周辺では、一人暮らしの高齢者が増え、民生委員や町会だけでは日々の安否確認が"
    "行き届かなくなっている。センサーや配達網を生かした見守りの仕組みづくりに協力してくれる"
    "企業を探している。",
)
MIMAMORI_WARDS = ["13104", "13109", "13112", "13115", "13116", "13119", "13121", "13122"]
# Other issues of the same wards, on other topics or the same people with another need.
OTHERS = [
    ("公園の遊具の老朽化", "児童公園で遊具の老朽化が進み、子どもが安心して遊べない。"),
    ("町工場の後継者不足", "技術を持つ町工場で後継者が見つからない。"),
    ("駅前の放置自転車", "駅の周りの歩道に自転車が放置され、車いすが通れない。"),
    ("高齢者がスマートフォンを使いこなせない", "オンライン手続に不安を持つ高齢者が多い。"),
    ("子ども食堂の食材が足りない", "寄付だけでは米や野菜をまかなえなくなっている。"),
    ("外国人住民にごみ出しのルールが伝わらない", "分別や収集日が守られず集積所が荒れている。"),
]
# A new issue in 神田 (千代田区): the same need, other words, and the summer heat besides.
KANDA = {
    "title": "神田地区の単身高齢者の見守りと熱中症対策",
    "description": "神田周辺のマンションでは身寄りのない高齢の単身世帯が多い。夏場に室内で"
    "熱中症になっても気づかれないおそれがあり、日ごろの見守りと安否確認を強めたい。",
}


@pytest.fixture
def registered():
    """Eight wards' 見守り issues and six others, as the demo registers them."""
    elderly = field("高齢者支援")
    mimamori = [
        IssueFactory(
            ref=f"MIMA-{code}",
            ward=ward(code),
            title=MIMAMORI[0],
            description=MIMAMORI[1].format(ward=ward(code).name_ja),
            field=elderly,
            status=IssueStatus.OPEN,
        )
        for code in MIMAMORI_WARDS
    ]
    for number, (title, description) in enumerate(OTHERS):
        IssueFactory(
            ref=f"OTHER-{number}", ward=ward("13104"), title=title, description=description
        )
    return mimamori


def _draft(client, **data):
    return client.post(reverse("issues:similar_draft"), data, headers={"HX-Request": "true"})


def test_typing_a_kanda_mimamori_issue_shows_the_eight_wards_mimamori_issues(
    client, coordinator, registered
):
    client.force_login(coordinator)
    response = _draft(client, **KANDA, field=field("高齢者支援").pk)
    assert response.status_code == 200
    page = response.content.decode()
    shown = [issue for issue in registered if issue.ref in page]
    assert len(shown) == similarity.LIMIT  # the best five of the eight, nothing else
    assert "OTHER-" not in page
    for issue in shown:
        assert issue.ward.local_name in page
        assert reverse("issues:detail", args=[issue.pk]) in page
    assert "募集中" in page  # the status each one is in
    assert "<html" not in page  # the partial, not the page


def test_without_the_model_the_tfidf_path_finds_them_and_the_hybrid_does_too(
    registered, fake_embedder
):
    # Saved issues' vectors are stored by the worker after the save; none is embedded here.
    texts = [similarity.issue_document(title=i.title, description=i.description,
                                       field_name=i.field.name) for i in registered]  # fmt: skip
    embedding.embeddings_for(texts, role=embedding.QUERY)
    fake_embedder.calls.clear()
    stored = TextEmbedding.objects.count()

    found = similarity.similar_issues(**KANDA, field_name="高齢者支援", limit=8)

    assert {issue.ref for issue, _ in found} == {issue.ref for issue in registered}
    assert all(similarity.THRESHOLD <= score <= 1 for _, score in found)
    assert len(fake_embedder.calls) == 1  # the draft, once
    assert TextEmbedding.objects.count() == stored  # and not stored


def test_the_issue_being_edited_is_not_its_own_duplicate(client, coordinator, registered):
    client.force_login(coordinator)
    mine = registered[0]
    response = _draft(client, title=mine.title, description=mine.description, editing=mine.pk)
    page = response.content.decode()
    assert mine.ref not in page
    assert sum(issue.ref in page for issue in registered[1:]) == similarity.LIMIT


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"title": "見守", "description": ""}, "課題名と内容を入力すると"),
        ({"title": "見守り\x00", "description": "安否確認"}, "課題名と内容を入力すると"),
        (
            {"title": "宇宙港の誘致", "description": "ロケットの発射場を区内に"},
            "見つかりませんでした",
        ),
    ],
)
def test_short_refused_or_unlike_text_shows_a_hint_not_an_error(
    client, coordinator, registered, data, shown
):
    client.force_login(coordinator)
    response = _draft(client, **data)
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert "MIMA-" not in response.content.decode()


def test_the_draft_view_has_the_forms_permission(client, approver, registered):
    client.force_login(approver)  # may read issues, may not register them
    assert _draft(client, **KANDA).status_code == 403
    client.logout()
    response = _draft(client, **KANDA)  # signed out: sent to the login page
    assert response.status_code == 302 or "HX-Redirect" in response.headers
    assert "MIMA-" not in response.content.decode()


def test_the_form_asks_for_candidates_while_typing(client, admin_user, registered):
    client.force_login(admin_user)
    page = client.get(reverse("issues:create")).content.decode()
    assert f'hx-post="{reverse("issues:similar_draft")}"' in page
    assert "input changed delay:700ms from:#id_title" in page
    edit = client.get(reverse("issues:edit", args=[registered[0].pk])).content.decode()
    assert f'"editing": {registered[0].pk}' in edit
