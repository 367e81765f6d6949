"""Every text field of a portal form refuses control characters, and a single-line one line
breaks, whenever the form added it (issue #15, fifth probe: fields added after
``super().__init__`` — a KPI target's note, a questionnaire's answer, a cost line's note —
stored text with U+0001)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.urls import reverse

from evaluation.models import WardKpiTarget
from evaluation.questionnaires import services
from evaluation.questionnaires.models import Questionnaire, QuestionnaireResponse
from matching.projects.forms import CostsForm
from portal.formtools import PortalForm

CONTROL_MESSAGE = "制御文字（U+0001）"
LINE_BREAK_MESSAGE = "改行を入力できません"


@pytest.mark.django_db
def test_a_kpi_target_note_with_a_control_character_is_refused(client, evaluator):
    client.force_login(evaluator)
    note = {"n_collaborations_created": "注記\x01あり"}
    data = {"ward": "13101", "t_collaborations_created": "5"} | note
    response = client.post(reverse("evaluation:ward_targets"), data, follow=True)
    assert CONTROL_MESSAGE in response.content.decode()
    assert not WardKpiTarget.objects.exists()


@pytest.mark.django_db
def test_a_public_questionnaire_answer_with_a_control_character_is_refused(client):
    questionnaire = services.questionnaire_create(
        data={"title": "区民アンケート", "anonymous": True, "public_link": True},
        questions=[{"text": "ご意見", "kind": "text", "required": True}],
    )
    services.questionnaire_status_set(questionnaire=questionnaire, status=Questionnaire.Status.OPEN)
    question = questionnaire.questions.get()
    url = reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])
    token = re.search(r'name="t" value="([^"]+)"', client.get(url).content.decode()).group(1)
    response = client.post(url, {f"q_{question.pk}": "a\x01b", "t": token})
    assert CONTROL_MESSAGE in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    # A questionnaire's free answer is a textarea: line breaks stay allowed.
    client.post(url, {f"q_{question.pk}": "一行目\r\n二行目", "t": token})
    assert QuestionnaireResponse.objects.count() == 1


def _costs_form(note: str) -> CostsForm:
    row = {"key": None, "party": None, "cash": 0, "in_kind": 0, "in_kind_note": ""}
    return CostsForm({"cash_ward": "0", "in_kind_ward": "0", "note_ward": note}, rows=[row])


def test_a_cost_note_with_a_control_character_or_a_line_break_is_refused():
    form = _costs_form("現物\x01提供")
    assert not form.is_valid()
    assert CONTROL_MESSAGE in str(form.errors["note_ward"])
    form = _costs_form("会議室\r\nBcc: x@example.jp")
    assert not form.is_valid()
    assert LINE_BREAK_MESSAGE in str(form.errors["note_ward"])
    assert _costs_form("会議室の提供").is_valid()


class _LateForm(PortalForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"] = forms.CharField()
        self.fields["body"] = forms.CharField(widget=forms.Textarea)


def test_a_single_line_field_refuses_line_breaks_and_a_textarea_keeps_them():
    form = _LateForm({"name": "悪意法人\r\nSubject: x", "body": "一行目\r\n二行目"})
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    assert LINE_BREAK_MESSAGE in str(form.errors["name"])
    # Cleaning twice attaches each check once.
    form.full_clean()
    assert len(form.errors["name"]) == 1
    assert _LateForm({"name": "株式会社 見守り", "body": "a\nb"}).is_valid()
