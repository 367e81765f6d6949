"""Forms and imports refuse DEL, the C1 controls, U+2028/U+2029 and the bidi overrides and
isolates (issue #15, newcomer probe), as they refuse the C0 controls: with a message naming the
field or the cell's row and column, and nothing stored."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import SatisfactionSurvey
from issues.models import Issue
from portal.tabular import cell_errors, tabular_read
from tests.issues.factories import issue_data
from tests.matching.factories import ProjectFactory

CHARACTERS = [
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\u2028",
    "\u2029",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
]


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@pytest.mark.parametrize("ch", CHARACTERS)
def test_the_issue_form_refuses_it_and_stores_nothing(client, coordinator, ch):
    client.force_login(coordinator)
    response = client.post(reverse("issues:create"), issue_data(title=f"公園の遊具{ch}の老朽化"))
    assert response.status_code == 400
    assert f"制御文字（{_code(ch)}）" in response.content.decode()
    assert not Issue.objects.exists()


@pytest.mark.parametrize("ch", ["\x85", "\u2028", "\u202e"])
def test_a_project_page_form_names_the_field(client, evaluator, ch):
    project = ProjectFactory()
    client.force_login(evaluator)
    page = client.post(
        reverse("evaluation:survey_add", args=[project.pk]),
        {
            "respondent_type": "resident",
            "score": "4",
            "answered_on": "2026-11-28",
            "comment": f"良い{ch}対応",
        },
        follow=True,
    ).content.decode()
    assert f"自由記述: 入力できない制御文字（{_code(ch)}）" in page
    assert not SatisfactionSurvey.objects.exists()


def test_tab_line_breaks_and_ordinary_non_ascii_text_still_pass(client, coordinator):
    client.force_login(coordinator)
    description = "一行目\r\n\t二行目 ｶﾀｶﾅ　全角空白 café №1 😀"
    assert (
        client.post(reverse("issues:create"), issue_data(description=description)).status_code
        == 302
    )
    assert Issue.objects.get().description.startswith("一行目")


@pytest.mark.parametrize("ch", CHARACTERS)
def test_an_import_cell_with_it_is_refused_naming_row_and_column(ch):
    data = ("整理番号,課題名\r\nA-1,題\r\nA-2,前" + ch + "後\r\n").encode()
    sheet = tabular_read(data=data, aliases={"整理番号": "ref", "課題名": "title"}, required=[])
    assert cell_errors(sheet) == [
        f"3行目「課題名」: 入力できない制御文字（{_code(ch)}）が含まれています。"
        "Excelでその部分を入力し直してください。"
    ]
