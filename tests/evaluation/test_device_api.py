import json

import pytest
from django.urls import reverse

from evaluation import feed as feeds
from evaluation.models import Measurement
from tests.evaluation.factories import IndicatorFactory
from tests.matching.factories import ProjectFactory

URL = "/evaluation/api/measurements/"


@pytest.fixture
def feed(db):
    project = ProjectFactory()
    indicator = IndicatorFactory(project=project, name="歩数")
    feed, token = feeds.device_feed_create(project=project, name="歩数計")
    return {"project": project, "indicator": indicator, "token": token, "feed": feed}


def post(client, body, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        URL, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


def test_url_is_stable():
    assert reverse("evaluation:device_measurements") == URL


def test_valid_post_stores_measurements_without_csrf(feed):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = post(
        client,
        {
            "measurements": [
                {"indicator": feed["indicator"].pk, "date": "2025-07-01", "value": 4200},
                {"indicator": "歩数", "date": "2025-07-02", "value": "3900.5"},
            ]
        },
        feed["token"],
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["created"]) == 2
    assert list(Measurement.objects.values_list("source", flat=True)) == ["device", "device"]
    feed["feed"].refresh_from_db()
    assert feed["feed"].last_used_at is not None


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_refused(client, feed, token):
    response = post(
        client, {"indicator": feed["indicator"].pk, "date": "2025-07-01", "value": 1}, token
    )
    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert not Measurement.objects.exists()


def test_deactivated_feed_is_refused(client, feed):
    feeds.device_feed_deactivate(feed=feed["feed"])
    response = post(
        client, {"indicator": feed["indicator"].pk, "date": "2025-07-01", "value": 1}, feed["token"]
    )
    assert response.status_code == 401


def test_token_of_one_project_cannot_write_another_projects_indicator(client, feed):
    other = IndicatorFactory()
    response = post(
        client, {"indicator": other.pk, "date": "2025-07-01", "value": 1}, feed["token"]
    )
    assert response.status_code == 400
    assert "この事業にありません" in response.json()["errors"][0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"indicator": 999999, "date": "2025-07-01", "value": 1}, "この事業にありません"),
        ({"indicator": "歩数", "date": "07/01/2025", "value": 1}, "YYYY-MM-DD"),
        ({"indicator": "歩数", "date": "2020-01-01", "value": 1}, "事業期間"),
        ({"indicator": "歩数", "date": "2025-07-01", "value": "many"}, "数値"),
        ({"indicator": "歩数", "date": "2025-07-01", "value": True}, "数値"),
    ],
)
def test_bad_rows_are_refused_with_json_errors_and_nothing_stored(client, feed, body, message):
    good = {"indicator": "歩数", "date": "2025-07-03", "value": 1}
    response = post(client, {"measurements": [good, body]}, feed["token"])
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("2行目")
    assert not Measurement.objects.exists()


def test_malformed_json_and_get(client, feed):
    response = client.post(
        URL,
        data=b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {feed['token']}",
    )
    assert response.status_code == 400
    assert client.get(URL).status_code == 405


def test_a_lone_surrogate_is_refused_with_400_not_a_server_error(client, feed):
    pk = feed["indicator"].pk
    body = '{"indicator": ' + str(pk) + ', "date": "2026-06-02", "value": 1, "text": "\\ud800"}'
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {feed['token']}",
    )
    assert response.status_code == 400
    assert "JSONとして読み取れません" in response.json()["errors"][0]
    assert not Measurement.objects.exists()


def test_a_value_finer_than_the_stored_precision_is_refused(client, feed):
    row = {"indicator": feed["indicator"].pk, "date": "2026-06-02", "value": 0.004}
    response = post(client, row, feed["token"])
    assert response.status_code == 400
    assert "小数第2位まで" in json.dumps(response.json(), ensure_ascii=False)
    assert not Measurement.objects.exists()


def test_an_over_long_idempotency_key_is_refused_not_cut(client, feed):
    first = {"indicator": feed["indicator"].pk, "date": "2026-06-03", "value": 5}
    second = {"indicator": feed["indicator"].pk, "date": "2026-06-04", "value": 7}
    key = "K" * 100
    assert post(client, first, feed["token"], HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    refused = post(client, second, feed["token"], HTTP_IDEMPOTENCY_KEY=key + "-batch-B")
    assert refused.status_code == 400 and refused.json()["limit"] == {"key_length": 100}
    assert Measurement.objects.count() == 1


def test_a_reused_idempotency_key_with_other_readings_is_refused_not_replayed(client, feed):
    """Issue #15, fifth probe: the same key with another value answered 200 "replayed" with the
    first answer and the new reading was silently dropped."""
    first = {"indicator": feed["indicator"].pk, "date": "2026-06-03", "value": 5}
    stored = post(client, first, feed["token"], HTTP_IDEMPOTENCY_KEY="batch-1")
    assert stored.status_code == 201
    # The same batch, spelled otherwise (keys reordered, one row in a list): the first answer.
    again = client.post(
        URL,
        data=json.dumps({"measurements": [dict(reversed(list(first.items())))]}, indent=2),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {feed['token']}",
        HTTP_IDEMPOTENCY_KEY="batch-1",
    )
    assert again.status_code == 200
    assert again.json() == {**stored.json(), "replayed": True}
    for other in ({**first, "value": 6}, {**first, "date": "2026-06-04"}):
        refused = post(client, other, feed["token"], HTTP_IDEMPOTENCY_KEY="batch-1")
        assert refused.status_code == 422
        assert "別の内容の送信に使われています" in refused.json()["errors"][0]
    assert list(Measurement.objects.values_list("value", flat=True)) == [5]


@pytest.mark.parametrize(
    ("field", "sent", "named"),
    [
        ("text", ["a"], "配列"),
        ("text", {"a": 1}, "オブジェクト"),
        ("text", 123, "数値"),
        ("text", True, "真偽値"),
        ("value", [1], "配列"),
        ("value", {"n": 1}, "オブジェクト"),
        ("date", 20250701, "数値"),
        ("indicator", [1], "配列"),
        ("indicator", True, "真偽値"),
    ],
)
def test_a_field_of_the_wrong_json_type_is_refused_naming_it(client, feed, field, sent, named):
    good = {"indicator": "歩数", "date": "2025-07-03", "value": 1, "text": "晴れ"}
    response = post(client, {"measurements": [good, {**good, field: sent}]}, feed["token"])
    assert response.status_code == 400
    body = response.json()
    assert body["fields"] == [field]
    [error] = body["errors"]
    assert error.startswith(f"2行目「{field}」: ") and f"{named}が送られました" in error
    assert not Measurement.objects.exists()


def test_text_and_null_value_of_the_right_types_are_stored_as_sent(client, feed):
    row = {"indicator": feed["indicator"].pk, "date": "2025-07-03", "value": 5, "text": "a"}
    assert post(client, row, feed["token"]).status_code == 201
    assert Measurement.objects.get().text == "a"


def test_a_device_finds_its_indicator_by_any_spelling_of_the_name(client, feed):
    # The feed's rows went through a fold without invisible-character removal: 「歩数\u200b」
    # (as a phone app's text field may send it) was refused as an unknown indicator.
    rows = [
        {"indicator": "\ufeff歩数\u200b", "date": "2025-07-01", "value": 1},
        {"indicator": " 歩 数 ", "date": "2025-07-02", "value": 2},
    ]
    response = post(client, {"measurements": rows}, feed["token"])
    assert response.status_code == 201, response.content
    assert set(Measurement.objects.values_list("indicator", flat=True)) == {feed["indicator"].pk}
