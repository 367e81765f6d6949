"""「One click, one record」 never merges two records (issue #15, newcomer probe): the same content
sent about another object — another consultation, another project — is another create, and
forms whose identical entries are legitimate (paper survey answers) are not claimed by content.
Also: the message after a project-page form is the form's own, never the record's text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import DeviceFeed, SatisfactionSurvey
from portal.models import ConsultationNote, ConsultationRequest
from tests.matching.factories import ProjectFactory
from tests.portal.factories import ward
from tests.portal.test_one_click_one_record import _token

pytestmark = pytest.mark.django_db


def _post(client, url: str, data: dict, form_url: str | None = None):
    """One person's submission of a freshly fetched form (a new one-time token)."""
    return client.post(url, {**data, "form_token": _token(client, form_url or url)}, follow=True)


def test_the_same_update_on_another_consultation_updates_that_one(client, coordinator):
    asked = {"email": "a@example.jp", "topic": "start", "message": "相談", "ward": ward("13101")}
    consultations = [ConsultationRequest.objects.create(name=n, **asked) for n in ("甲", "乙")]
    client.force_login(coordinator)
    update = {"status": "in_progress", "assigned_to": "", "note": "電話で折り返します"}
    for consultation in consultations:
        url = reverse("portal:consultation_detail", args=[consultation.pk])
        response = _post(client, url, update)
        assert response.redirect_chain[-1][0] == url
        assert "相談を更新しました" in response.content.decode()
    for consultation in consultations:
        consultation.refresh_from_db()
        assert consultation.status == "in_progress"
        assert ConsultationNote.objects.filter(
            request=consultation, text="電話で折り返します"
        ).exists()


def test_the_same_progress_report_on_two_projects_lands_on_each(
    client, partner_a, org_a, coordinator
):
    projects = [ProjectFactory(), ProjectFactory()]
    for project in projects:
        project.organizations.add(org_a)
    client.force_login(partner_a)
    report = {"reported_on": "2025-07-01", "body": "10世帯にセンサーを設置しました。"}
    for project in projects:
        detail = reverse("matching:project_detail", args=[project.pk])
        response = _post(
            client, reverse("matching:project_progress", args=[project.pk]), report, detail
        )
        assert response.redirect_chain[-1][0].startswith(detail)
        assert "進捗を報告しました" in response.content.decode()
    assert [p.progress_reports.count() for p in projects] == [1, 1]


def test_the_same_feed_name_on_two_projects_makes_a_feed_for_each(client, evaluator):
    projects = [ProjectFactory(), ProjectFactory()]
    client.force_login(evaluator)
    for project in projects:
        detail = reverse("evaluation:project_detail", args=[project.pk])
        response = _post(
            client,
            reverse("evaluation:feed_add", args=[project.pk]),
            {"name": "見守りセンサー"},
            detail,
        )
        assert "既に登録されています" not in response.content.decode()
    assert [
        DeviceFeed.objects.filter(project=p, name="見守りセンサー").count() for p in projects
    ] == [
        1,
        1,
    ]


def test_two_identical_paper_survey_answers_are_both_recorded(client, evaluator):
    project = ProjectFactory()
    client.force_login(evaluator)
    detail = reverse("evaluation:project_detail", args=[project.pk])
    url = reverse("evaluation:survey_add", args=[project.pk])
    answer = {"respondent_type": "resident", "score": "5", "answered_on": "2026-11-28"}
    for count in (1, 2):
        page = _post(client, url, answer, detail).content.decode()
        assert "満足度調査の回答を登録しました。" in page
        assert "住民 5" not in page  # the record's own text is no message
        assert SatisfactionSurvey.objects.filter(project=project).count() == count


def test_a_double_click_on_a_survey_answer_still_records_one(client, evaluator):
    project = ProjectFactory()
    client.force_login(evaluator)
    detail = reverse("evaluation:project_detail", args=[project.pk])
    url = reverse("evaluation:survey_add", args=[project.pk])
    data = {
        "respondent_type": "resident",
        "score": "4",
        "answered_on": "2026-11-28",
        "form_token": _token(client, detail),
    }
    client.post(url, data)
    second = client.post(url, data, follow=True)
    assert "既に登録されています" in second.content.decode()
    assert SatisfactionSurvey.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "continuation_add",
            {"years": "1", "state": "continued", "note": ""},
            "継続状況を記録しました。",
        ),
    ],
)
def test_project_page_forms_answer_with_their_own_message(client, evaluator, name, data, message):
    project = ProjectFactory()
    client.force_login(evaluator)
    detail = reverse("evaluation:project_detail", args=[project.pk])
    page = _post(client, reverse(f"evaluation:{name}", args=[project.pk]), data, detail)
    assert message in page.content.decode()
