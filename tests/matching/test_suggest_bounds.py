"""The hidden `suggested` record of the suggestion forms is bounded (issue #15, newcomer probe):
100,000 ``[`` then 100,000 ``]`` answered 500 (RecursionError); now it is read as nothing."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
TEXT = {"title": "一人暮らし高齢者の見守り", "description": "高齢者の安否確認の担い手が足りない。"}


def _held(html: str) -> dict:
    return json.loads(unescape(re.search(r'name="suggested" value="([^"]*)"', html)[1]))


@pytest.mark.parametrize(
    ("who", "name"), [("coordinator", "suggest_issue"), ("partner_a", "suggest_resource")]
)
@pytest.mark.parametrize(
    "suggested",
    [DEEP, '{"field": ["1"]}' + " " * 20_000, json.dumps({"field": ["1"] * 5_000})],
    ids=["deeply-nested", "padded", "oversized"],
)
def test_a_malformed_or_oversized_record_is_read_as_nothing(client, request, who, name, suggested):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse(f"matching:{name}"), {**TEXT, "suggested": suggested}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert _held(response.content.decode()) == {}
