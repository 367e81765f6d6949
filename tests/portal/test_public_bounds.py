"""Public write endpoints are bounded (issue #15, item 10): the FAQ assistant, the device feed,
import previews and the access log."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation import feed as feeds
from evaluation.models import Measurement
from portal.models import AccessLog, UnansweredQuestion
from portal.services import access_log_record
from portal.uploads import pending_imports_sweep
from tests.evaluation.factories import IndicatorFactory
from tests.matching.factories import ProjectFactory

FEED_URL = "/evaluation/api/measurements/"
CSV_ISSUES = "ref,title,description,ward,category\r\nU-1,題,内容,千代田区,高齢者支援\r\n"


# --- FAQ assistant -----------------------------------------------------------------------------


def test_a_burst_of_questions_from_one_client_is_refused_after_the_allowance(client, db):
    answers = [
        client.post(reverse("portal:faq_ask"), {"q": f"質問その{n}について"}) for n in range(30)
    ]
    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [200] * 20 and set(statuses[20:]) == {429}
    assert "短時間に多くの質問" in answers[-1].content.decode()
    assert UnansweredQuestion.objects.count() == 20
    other = client.post(reverse("portal:faq_ask"), {"q": "別の人の質問"}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 200


def test_a_repeated_or_near_identical_question_is_stored_once_and_counted(client, db):
    for question in [
        "駐車場はありますか？",
        "駐車場はありますか?",
        " 駐車場は ありますか ",
        "ＡＢＣ",
    ]:
        client.post(reverse("portal:faq_ask"), {"q": question})
    client.post(reverse("portal:faq_ask"), {"q": "abc"})
    rows = {q.text: q.times_asked for q in UnansweredQuestion.objects.all()}
    assert rows == {"駐車場はありますか？": 3, "ＡＢＣ": 2}


def test_staff_see_how_often_a_question_was_asked(client, coordinator):
    for _n in range(3):
        client.post(reverse("portal:faq_ask"), {"q": "駐車場はありますか？"})
    client.force_login(coordinator)
    page = client.get(reverse("portal:unanswered_list")).content.decode()
    assert "質問された回数" in page and "<td>3</td>" in page


# --- device feed -------------------------------------------------------------------------------


@pytest.fixture
def feed(db):
    project = ProjectFactory()
    indicator = IndicatorFactory(project=project, name="歩数")
    _feed, token = feeds.device_feed_create(project=project, name="歩数計")
    return {"indicator": indicator, "token": token}


def post(client, feed, body, **extra):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        FEED_URL,
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {feed['token']}",
        **extra,
    )


def row(**overrides):
    return {"indicator": "歩数", "date": "2025-07-01", "value": 10, **overrides}


def test_a_batch_over_the_row_limit_is_refused_whole_naming_the_limit(client, feed):
    rows = [row(value=n) for n in range(1001)]
    response = post(client, feed, {"measurements": rows})
    assert response.status_code == 413
    assert "1,000件まで" in response.json()["errors"][0]
    assert response.json()["limit"] == {"rows": 1000}
    assert not Measurement.objects.exists()


def test_a_body_announced_over_the_size_limit_is_refused_before_reading(client, feed):
    response = post(client, feed, {"measurements": []}, CONTENT_LENGTH=str(300 * 1024))
    assert response.status_code == 413
    assert response.json()["limit"] == {"bytes": 256 * 1024}


def test_deeply_nested_json_is_a_clear_400_not_a_500(client, feed):
    response = post(client, feed, b"[" * 50_000 + b"]" * 50_000)
    assert response.status_code == 400
    assert "入れ子が深すぎます" in response.json()["errors"][0]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(text="あ" * 3001), "3,000文字以内"),
        (row(value=None, text='=HYPERLINK("http://evil.example")'), "数式"),
        (row(value=-5), "負の値"),
        (row(text="説明\x01"), "制御文字"),
    ],
)
def test_rows_the_indicator_cannot_hold_are_refused(client, feed, bad, message):
    response = post(client, feed, {"measurements": [row(), bad]})
    assert response.status_code == 400
    assert message in response.json()["errors"][0]
    assert not Measurement.objects.exists()


def test_a_negative_value_is_accepted_where_the_indicator_allows_it(client, feed):
    feed["indicator"].allows_negative = True
    feed["indicator"].save()
    assert post(client, feed, row(value=-5)).status_code == 201


def test_a_replay_with_the_same_idempotency_key_stores_nothing_more(client, feed):
    body = {"measurements": [row(), row(date="2025-07-02")]}
    first = post(client, feed, body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    again = post(client, feed, body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["created"] == first.json()["created"] and again.json()["replayed"]
    assert Measurement.objects.count() == 2


def test_a_replay_without_a_key_does_not_store_the_same_rows_twice(client, feed):
    body = {"measurements": [row(), row(date="2025-07-02")]}
    post(client, feed, body)
    again = post(client, feed, body)
    assert again.status_code == 201
    assert again.json() == {"ok": True, "created": [], "duplicates": 2}
    assert Measurement.objects.count() == 2


# --- import previews ---------------------------------------------------------------------------


def _preview(client):
    upload = SimpleUploadedFile("a.csv", CSV_ISSUES.encode(), content_type="text/csv")
    return client.post(reverse("issues:import"), {"file": upload}).context["token"]


def _waiting() -> set[str]:
    directory = Path(settings.MEDIA_ROOT) / "imports"
    return {p.name for p in directory.iterdir()} if directory.exists() else set()


def test_a_session_keeps_one_waiting_preview_and_cancel_removes_it(client, coordinator):
    client.force_login(coordinator)
    before = _waiting()
    first = _preview(client)
    second = _preview(client)
    assert _waiting() - before == {second} and first != second
    response = client.post(
        reverse("portal:import_cancel"),
        {"kind": "issues", "next": reverse("issues:import")},
        follow=True,
    )
    assert "取り込みを取り消しました" in response.content.decode()
    assert second not in _waiting()


def test_previews_nobody_came_back_for_are_swept(client, coordinator):
    client.force_login(coordinator)
    token = _preview(client)
    path = Path(settings.MEDIA_ROOT) / "imports" / token
    three_hours_ago = time.time() - 3 * 3600
    os.utime(path, (three_hours_ago, three_hours_ago))
    assert pending_imports_sweep() >= 1 and not path.exists()


def test_cancel_never_redirects_off_site(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("portal:import_cancel"), {"kind": "issues", "next": "https://evil.example/"}
    )
    assert response.url == reverse("portal:dashboard")


# --- access log --------------------------------------------------------------------------------


def test_every_free_text_field_of_the_access_log_fits_its_column(db, rf):
    request = rf.get("/x/" + "p" * 2000)
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    entry = access_log_record(
        kind=AccessLog.Kind.LOGIN_FAILED, request=request, username="u" * 10_000, detail="d" * 900
    )
    entry.refresh_from_db()
    assert (len(entry.username), len(entry.path), len(entry.detail)) == (150, 500, 500)


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_a_failed_login_with_a_huge_username_is_logged_cut_to_size(client, db):
    response = client.post(reverse("portal:login"), {"username": "ユ" * 10_000, "password": "x"})
    assert response.status_code in {200, 400}
    entry = AccessLog.objects.get(kind=AccessLog.Kind.LOGIN_FAILED)
    assert entry.username == "ユ" * 150
