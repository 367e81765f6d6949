"""Questionnaires answered by the people asked (issue 16, item 2): built by staff, sent to the
partners of a project, to staff and (by a public link / QR code) to residents; one answer per
link; anonymous where chosen; answers feed the satisfaction KPIs; results per project and ward."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluation.kpi import kpi_compute
from evaluation.models import SatisfactionSurvey
from evaluation.questionnaires import selectors, services
from evaluation.questionnaires.models import (
    Answer,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireResponse,
)
from portal.fiscal import current_fiscal_year
from portal.models import AccessLog, Notification
from tests.matching.factories import ProjectFactory
from tests.portal.factories import UserFactory, ward

QUESTIONS = [
    {"text": "満足度", "kind": "scale", "required": True, "feeds_satisfaction": True},
    {"text": "役立った支援", "kind": "multiple", "choices": ["相談", "マッチング", "イベント"]},
    {"text": "また参加したいか", "kind": "single", "choices": ["はい", "いいえ"], "required": True},
    {"text": "ご意見", "kind": "text"},
]


@pytest.fixture
def project(db, org_a):
    project = ProjectFactory(title="見守りセンサー実証", ward=ward("13101"))
    project.organizations.add(org_a)
    return project


def _questionnaire(project=None, **data) -> Questionnaire:
    questionnaire = services.questionnaire_create(
        data={"title": "連携事業アンケート", "project": project, "anonymous": True} | data,
        questions=QUESTIONS,
    )
    return services.questionnaire_status_set(
        questionnaire=questionnaire, status=Questionnaire.Status.OPEN
    )


def _answers(questionnaire, score=4) -> dict:
    q = {question.text: question for question in questionnaire.questions.all()}
    return {
        f"q_{q['満足度'].pk}": score,
        f"q_{q['役立った支援'].pk}": ["相談", "イベント"],
        f"q_{q['また参加したいか'].pk}": "はい",
        f"q_{q['ご意見'].pk}": "とても助かりました",
    }


def _link(user) -> str:
    return services.invitation_url(QuestionnaireInvitation.objects.get(user=user))


@pytest.mark.parametrize(
    "questions,message",
    [
        ([], "設問を1つ以上"),
        ([{"text": "選ぶ", "kind": "single", "choices": ["A"]}], "選択肢は2"),
        ([{"text": "選ぶ", "kind": "single", "choices": ["A", "A"]}], "重複なく"),
        ([{"text": "感想", "kind": "text", "feeds_satisfaction": True}], "5段階評価"),
        (
            [
                {"text": "a", "kind": "scale", "feeds_satisfaction": True},
                {"text": "b", "kind": "scale", "feeds_satisfaction": True},
            ],
            "1つだけ",
        ),
    ],
)
def test_a_questionnaire_that_cannot_work_is_refused_whole(db, questions, message):
    with pytest.raises(ValidationError, match=message):
        services.questionnaire_create(data={"title": "t"}, questions=questions)
    assert not Questionnaire.objects.exists()


def test_staff_build_a_questionnaire_on_the_screen(client, evaluator, project):
    client.force_login(evaluator)
    page = client.get(reverse("evaluation:questionnaire_create")).content.decode()
    assert "全体としての満足度を教えてください。" in page  # the starter question
    data = {
        "title": "見守り事業アンケート",
        "project": project.pk,
        "anonymous": "on",
        "q-TOTAL_FORMS": 8,
        "q-INITIAL_FORMS": 0,
        "q-0-text": "満足度",
        "q-0-kind": "scale",
        "q-0-required": "on",
        "q-0-feeds_satisfaction": "on",
        "q-1-text": "よかった点",
        "q-1-kind": "multiple",
        "q-1-choices": "説明\r\n対応の早さ\r\n",
    }
    data |= {f"q-{i}-kind": "text" for i in range(2, 8)}
    response = client.post(reverse("evaluation:questionnaire_create"), data, follow=True)
    assert "アンケートを作成しました" in response.content.decode()
    questionnaire = Questionnaire.objects.get(title="見守り事業アンケート")
    assert questionnaire.status == "draft" and questionnaire.project == project
    assert [(q.text, q.choices) for q in questionnaire.questions.all()] == [
        ("満足度", []),
        ("よかった点", ["説明", "対応の早さ"]),
    ]


def test_partners_of_the_project_get_a_personal_link_and_answer_once(
    client, project, partner_a, partner_b, django_capture_on_commit_callbacks
):
    questionnaire = _questionnaire(project)
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    assert sent == 1  # partner_b's organisation is not in the project
    assert services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS) == 0
    link = Notification.objects.get(recipient=partner_a).url
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=partner_b).exists()

    assert client.get(link).status_code == 200  # no sign-in needed: the link is the key
    response = client.post(link, _answers(questionnaire, score=4))
    assert "ご回答ありがとうございました" in response.content.decode()
    answer = QuestionnaireResponse.objects.get()
    assert (answer.respondent_type, answer.respondent, answer.ward) == (
        "partner",
        None,  # anonymous
        ward("13101"),
    )
    assert sorted(Answer.objects.get(question__text="役立った支援").selected) == [
        "イベント",
        "相談",
    ]
    survey = SatisfactionSurvey.objects.get(response=answer)
    assert (survey.project, survey.score, survey.respondent_type) == (project, 4, "partner")

    again = client.get(link)
    assert again.status_code == 410
    assert "すでに回答をいただいています" in again.content.decode()
    again = client.post(link, _answers(questionnaire, score=1))
    assert again.status_code == 410
    assert QuestionnaireResponse.objects.count() == 1 and SatisfactionSurvey.objects.count() == 1


def test_a_named_questionnaire_keeps_the_respondent(client, project, partner_a):
    questionnaire = _questionnaire(project, anonymous=False)
    services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    client.post(_link(partner_a), _answers(questionnaire))
    assert QuestionnaireResponse.objects.get().respondent == partner_a


def test_an_altered_expired_or_closed_link_stores_nothing_and_says_why(client, project, partner_a):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 3, tzinfo=datetime.UTC), tick=False):
        questionnaire = _questionnaire(project, closes_on=datetime.date(2026, 3, 31))
        services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    link = _link(partner_a)
    forged = re.sub(r"/q/a/([^/]+)/", lambda m: f"/q/a/{m.group(1)[:-2]}xx/", link)
    response = client.post(forged, _answers(questionnaire))
    assert response.status_code == 404 and "正しくありません" in response.content.decode()
    assert AccessLog.objects.filter(kind="denied", detail__contains="invalid").exists()
    # 1 April 2026 00:05 in Tokyo: the deadline (31 March) has passed.
    with time_machine.travel(datetime.datetime(2026, 3, 31, 15, 5, tzinfo=datetime.UTC)):
        response = client.post(link, _answers(questionnaire))
    assert response.status_code == 410 and "回答受付は終了しました" in response.content.decode()
    with time_machine.travel(datetime.datetime(2026, 3, 31, 14, 55, tzinfo=datetime.UTC)):
        services.questionnaire_status_set(questionnaire=questionnaire, status="closed")
        response = client.post(link, _answers(questionnaire))
    assert response.status_code == 410
    assert not QuestionnaireResponse.objects.exists()
    assert QuestionnaireInvitation.objects.get().answered_on is None


def test_a_missing_required_answer_keeps_the_link_usable(client, project, partner_a):
    questionnaire = _questionnaire(project)
    services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    answers = _answers(questionnaire)
    answers.pop(f"q_{questionnaire.questions.first().pk}")
    response = client.post(_link(partner_a), answers)
    assert response.status_code == 200 and "必須" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    assert client.post(_link(partner_a), _answers(questionnaire)).status_code == 200
    assert QuestionnaireResponse.objects.count() == 1


def test_residents_answer_by_the_public_link_one_answer_per_form(client, project):
    questionnaire = _questionnaire(project, public_link=True)
    url = reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])
    page = client.get(url).content.decode()
    token = re.search(r'name="t" value="([^"]+)"', page).group(1)
    response = client.post(url, _answers(questionnaire, score=5) | {"t": token})
    assert "ご回答ありがとうございました" in response.content.decode()
    second = client.post(url, _answers(questionnaire, score=1) | {"t": token})
    assert second.status_code == 410 and "すでに回答" in second.content.decode()
    assert client.post(url, _answers(questionnaire) | {"t": "forged"}).status_code == 404
    other = re.search(r'name="t" value="([^"]+)"', client.get(url).content.decode()).group(1)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)):
        late = client.post(url, _answers(questionnaire) | {"t": other})
    assert late.status_code == 410 and "時間がたちすぎ" in late.content.decode()
    assert list(QuestionnaireResponse.objects.values_list("respondent_type", flat=True)) == [
        "resident"
    ]
    assert SatisfactionSurvey.objects.get().score == 5
    # A questionnaire without the public link has none.
    plain = _questionnaire(project)
    assert (
        client.get(reverse("evaluation:questionnaire_public", args=[plain.public_key])).status_code
        == 404
    )


def test_platform_answers_feed_user_satisfaction_by_the_respondents_ward(
    client, db, partner_a, coordinator
):
    questionnaire = _questionnaire(None)  # the platform
    services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    services.invitations_send(questionnaire=questionnaire, group=services.STAFF)
    client.post(_link(partner_a), _answers(questionnaire, score=5))  # org_a has no ward
    client.post(_link(coordinator), _answers(questionnaire, score=2))  # 千代田区
    SatisfactionSurvey.objects.create(
        respondent_type="resident", score=4, answered_on=timezone.localdate()
    )  # a paper response typed in
    fy = current_fiscal_year()
    total = kpi_compute("user_satisfaction", fy)
    assert (total.value, total.denominator) == (Decimal("3.67"), 3)
    assert kpi_compute("user_satisfaction", fy, ward("13101")).value == Decimal("2.00")
    overview = selectors.satisfaction_overview(fiscal_year=fy)
    assert [
        (r["ward"].name_ja if r["ward"] else None, r["mean"], r["n"]) for r in overview["wards"]
    ] == [
        ("千代田区", Decimal("2.00"), 1),
        (None, Decimal("4.50"), 2),
    ]


def test_staff_screens_show_results_per_ward_and_the_qr_code(
    client, project, partner_a, coordinator
):
    questionnaire = _questionnaire(project, public_link=True)
    services.invitations_send(questionnaire=questionnaire, group=services.PARTNERS)
    client.post(_link(partner_a), _answers(questionnaire, score=4))
    client.force_login(coordinator)
    html = client.get(reverse("evaluation:questionnaire_detail", args=[questionnaire.pk])).content
    html = html.decode()
    assert "平均: 4（1件）" in html and "とても助かりました" in html and "相談: 1" in html
    assert "連携団体 1" in html
    other_ward = client.get(
        reverse("evaluation:questionnaire_detail", args=[questionnaire.pk]), {"ward": "13112"}
    ).content.decode()
    assert "とても助かりました" not in other_ward
    listing = client.get(
        reverse("evaluation:questionnaires"), {"fy": current_fiscal_year()}
    ).content.decode()
    assert "見守りセンサー実証" in listing
    qr = client.get(reverse("evaluation:questionnaire_qr", args=[questionnaire.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    # Building and sending are for evaluators: a coordinator is refused and nothing is sent.
    response = client.post(
        reverse("evaluation:questionnaire_action", args=[questionnaire.pk, "send-staff"])
    )
    assert response.status_code == 403
    assert not QuestionnaireInvitation.objects.filter(respondent_type="staff").exists()


def test_no_staff_outside_the_project_ward_is_asked(project, coordinator, coordinator_other_ward):
    questionnaire = _questionnaire(project)
    evaluator_user = UserFactory(username="eval2", role="evaluator")
    people = services.audience(questionnaire=questionnaire, group=services.STAFF)
    assert coordinator in people and coordinator_other_ward not in people
    assert evaluator_user not in people


def test_the_public_link_takes_ten_answers_a_minute_from_one_address(client, project, caplog):
    questionnaire = _questionnaire(project, public_link=True)
    url = reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])

    def answer(score: int, address: str = "10.8.0.9"):
        page = client.get(url, REMOTE_ADDR=address).content.decode()
        token = re.search(r'name="t" value="([^"]+)"', page).group(1)
        data = _answers(questionnaire, score=score) | {"t": token}
        return client.post(url, data, REMOTE_ADDR=address)

    assert [answer(5).status_code for _ in range(10)] == [200] * 10
    refused = answer(1)
    assert refused.status_code == 429 and "短時間に多くの回答" in refused.content.decode()
    assert QuestionnaireResponse.objects.count() == 10
    assert AccessLog.objects.filter(detail="questionnaire public rate limit").count() == 1
    assert "Too Many Requests" in caplog.text
    # Another address is counted on its own.
    assert answer(4, address="10.8.0.10").status_code == 200
    assert QuestionnaireResponse.objects.count() == 11
