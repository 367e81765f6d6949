"""Who changes a ward-independent issue (区を問わない, no ward): the coordinator who registered
it or is assigned to it, and admins; any other coordinator sees it and is refused on every write
path (form, inline status/scores/assignment, bulk assignment, import rows)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from issues.models import Issue, IssueStatus
from tests.issues.factories import IssueFactory, field
from tests.issues.test_import_export import HEADER_EN
from tests.portal.factories import UserFactory, ward

REFUSED = "区を問わない課題は、登録した人・担当コーディネーター・管理者だけが変更できます。"


@pytest.fixture
def registrant(db):
    return UserFactory(username="coord_registrant", role="coordinator", ward=ward("13101"))


@pytest.fixture
def shared(registrant):
    return IssueFactory(
        ref="00000-2026-0001", ward=None, created_by=registrant, status=IssueStatus.REVIEWING
    )


def _edit_data(issue: Issue, **changes) -> dict:
    data = {
        "title": "書き換えた題",
        "description": "内容",
        "ward": "",
        "source": "staff",
        "field": field("高齢者支援").pk,
        "urgency": 3,
        "importance": 3,
        "difficulty": 3,
        "status": issue.status,
        "version": issue.version,
    }
    return {**data, **changes}


def test_another_coordinator_cannot_edit_it_by_the_form(client, shared, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("issues:detail", args=[shared.pk]))
    assert page.status_code == 200  # seen, as every staff member sees every issue
    response = client.post(reverse("issues:edit", args=[shared.pk]), _edit_data(shared))
    assert response.status_code == 403
    assert REFUSED in response.content.decode()  # the 403 page says why
    shared.refresh_from_db()
    assert shared.title != "書き換えた題"


@pytest.mark.parametrize("who", ["registrant", "assigned", "admin"])
def test_its_registrant_assignee_and_admins_edit_it(client, shared, who, admin_user):
    editor = {
        "registrant": shared.created_by,
        "assigned": UserFactory(username="coord_assigned", role="coordinator", ward=ward("13104")),
        "admin": admin_user,
    }[who]
    if who == "assigned":
        Issue.objects.filter(pk=shared.pk).update(coordinator=editor)
    client.force_login(editor)
    # The form keeps the assignment as it is (clearing it would end the assignee's right).
    data = _edit_data(shared, coordinator=editor.pk if who == "assigned" else "")
    response = client.post(reverse("issues:edit", args=[shared.pk]), data)
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.title == "書き換えた題"


def test_a_coordinator_registers_one_and_may_edit_it(client, coordinator):
    client.force_login(coordinator)
    data = _edit_data(IssueFactory.build(status=IssueStatus.DRAFT))
    data.pop("version")
    response = client.post(reverse("issues:create"), data)
    assert response.status_code == 302
    mine = Issue.objects.get(title="書き換えた題")
    assert (mine.ward, mine.created_by) == (None, coordinator)
    edited = client.post(reverse("issues:edit", args=[mine.pk]), _edit_data(mine, title="改"))
    assert edited.status_code == 302


def test_clearing_the_ward_of_a_colleagues_issue_is_refused(client, coordinator):
    # Clearing 区 must not be a way round the ward rule: the issue would no longer be theirs.
    own = IssueFactory(ward=ward("13101"), status=IssueStatus.REVIEWING)
    client.force_login(coordinator)
    response = client.post(reverse("issues:edit", args=[own.pk]), _edit_data(own))
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    own.refresh_from_db()
    assert own.ward.code == "13101"


@pytest.mark.parametrize(
    ("what", "data"),
    [
        ("status", {"status": "open", "version": 1}),
        ("scores", {"urgency": 5, "importance": 5, "difficulty": 1, "version": 1}),
        ("coordinator", {"coordinator": "", "version": 1}),
    ],
)
def test_the_workflow_and_inline_changes_refuse_another_coordinator(
    client, shared, coordinator, what, data
):
    client.force_login(coordinator)
    response = client.post(reverse("issues:change", args=[shared.pk, what]), data)
    assert response.status_code == 403
    fresh = Issue.objects.get(pk=shared.pk)
    assert (fresh.status, fresh.urgency, fresh.version) == (
        shared.status,
        shared.urgency,
        shared.version,
    )


def test_the_registrant_moves_it_along_the_workflow(client, shared):
    client.force_login(shared.created_by)
    response = client.post(
        reverse("issues:change", args=[shared.pk, "status"]), {"status": "open", "version": 1}
    )
    assert response.status_code == 302  # back to the issue page (no HTMX)
    shared.refresh_from_db()
    assert shared.status == IssueStatus.OPEN


def test_bulk_assignment_skips_it(client, shared, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:bulk_assign"),
        {"ids": [shared.pk], "coordinator": coordinator.pk},
        follow=True,
    )
    assert "1件は変更できない課題" in response.content.decode()
    shared.refresh_from_db()
    assert shared.coordinator is None


def _upload(client, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "issues.csv"
    return client.post(reverse("issues:import"), {"file": upload})


def test_an_import_row_cannot_change_it(client, shared, coordinator):
    client.force_login(coordinator)
    response = _upload(client, HEADER_EN + "00000-2026-0001,書き換え,内容,,高齢者支援\r\n")
    assert response.status_code == 400
    body = response.content.decode()
    assert "2行目「ref」: 整理番号「00000-2026-0001」は区を問わない課題の番号です。" in body
    # Nor can a row claim it by giving it this coordinator's ward.
    response = _upload(client, HEADER_EN + "00000-2026-0001,書き換え,内容,13101,高齢者支援\r\n")
    assert response.status_code == 400
    shared.refresh_from_db()
    assert (shared.title, shared.ward) != ("書き換え", None) and shared.ward is None


def test_its_registrant_imports_changes_and_anyone_imports_a_new_one(
    client, shared, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(shared.created_by)
    response = _upload(client, HEADER_EN + "00000-2026-0001,書き換え,内容,,高齢者支援\r\n")
    assert response.status_code == 200, response.content.decode()
    client.force_login(coordinator)
    response = _upload(client, HEADER_EN + "NEW-1,新しい共通課題,内容,,高齢者支援\r\n")
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:import"), {"token": response.context["token"]})
    new = Issue.objects.get(ref="NEW-1")
    assert (new.ward, new.created_by) == (None, coordinator)
