"""A coordinator's new issue starts in their own ward: 区を問わない (which only its registrant,
its 担当 and admins may change afterwards) is saved only when chosen on purpose."""

from __future__ import annotations

import re

from django.urls import reverse

from issues.models import Issue
from tests.issues.factories import field

WARD_SELECT = re.compile(r'<select name="ward"[^>]*>(.*?)</select>', re.S)


def _selected_ward(html: str) -> str:
    """The value of the 区 option a browser would submit as the page was rendered."""
    options = WARD_SELECT.search(html)
    assert options, "no 区 select on the form"
    chosen = re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', options[1])
    return chosen[0] if chosen else ""


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found[1] if found else ""


def _post_as_rendered(client, html: str, title: str):
    # The form as a person fills it in without touching 区: every other field typed.
    data = {
        "title": title,
        "description": "内容",
        "ward": _selected_ward(html),
        "source": "staff",
        "field": field("高齢者支援").pk,
        "urgency": 3,
        "importance": 3,
        "difficulty": 3,
        "status": "draft",
        "form_token": _hidden(html, "form_token"),
    }
    return client.post(reverse("issues:create"), data)


def test_a_coordinators_new_issue_form_preselects_their_ward(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("issues:create")).content.decode()
    assert _selected_ward(html) == str(coordinator.ward_id)
    # 区を問わない is still on offer, just not the default
    assert '<option value="">区を問わない</option>' in WARD_SELECT.search(html)[1]

    response = _post_as_rendered(client, html, "区を触らずに登録")
    assert response.status_code == 302
    assert Issue.objects.get(title="区を触らずに登録").ward == coordinator.ward


def test_ward_independent_only_when_chosen(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("issues:create")).content.decode()
    data_html = html.replace(f'value="{coordinator.ward_id}" selected', "")
    response = _post_as_rendered(client, data_html, "区を問わないを選んだ")
    assert response.status_code == 302
    assert Issue.objects.get(title="区を問わないを選んだ").ward is None


def test_an_admin_without_a_ward_keeps_the_empty_default(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("issues:create")).content.decode()
    assert _selected_ward(html) == ""
