"""Issue refs and issue search compare what people type after normalisation (issue #15 item 3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from issues.models import Issue
from issues.selectors import issues_filter
from issues.services import issue_create, issue_ref_generate
from portal.identifiers import keys_fill, search_text_fill
from tests.issues.factories import IssueFactory, field, issue_data
from tests.portal.factories import ward

HEADER = "整理番号,課題名,課題の内容,区,分野,緊急度\r\n"


def _import(tmp_path, rows: str) -> None:
    path = tmp_path / "issues.csv"
    path.write_bytes((HEADER + rows).encode("utf-8"))
    call_command("import_issues", str(path))


def test_an_import_row_with_a_full_width_ref_updates_the_issue(db, tmp_path):
    issue = IssueFactory(ref="13123-2026-0007", urgency=2)

    _import(
        tmp_path,
        "１３１２３－２０２６－０００７,見守りの強化,高齢者の見守り。,江戸川区,高齢者支援,5\r\n",
    )

    assert Issue.objects.count() == 1
    issue.refresh_from_db()
    assert issue.urgency == 5 and issue.title == "見守りの強化"
    assert issue.ref == "13123-2026-0007"  # kept as first given


def test_two_spellings_of_one_ref_in_a_file_are_a_duplicate(db, tmp_path, capsys):
    with pytest.raises(CommandError):
        _import(
            tmp_path,
            "EXT-1,見守り,内容。,千代田区,高齢者支援,3\r\nｅｘｔ－１,見守り,内容。,千代田区,高齢者支援,3\r\n",
        )
    assert (
        "3行目「整理番号」: 整理番号「ｅｘｔ－１」が2行目と重複しています"
        in capsys.readouterr().err
    )
    assert not Issue.objects.exists()


def test_the_form_refuses_another_spelling_of_a_ref_in_use(client, coordinator):
    IssueFactory(ref="13101-2026-0001")
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:create"), issue_data(ref="１３１０１ー２０２６ー０００１")
    )
    assert response.status_code == 400
    assert "この整理番号は既に使われています" in response.content.decode()
    assert Issue.objects.count() == 1


def test_the_service_refuses_it_too(coordinator):
    IssueFactory(ref="EXT-9")
    data = {
        "ref": "ｅｘｔ－９",
        "title": "見守り",
        "description": "内容。",
        "ward": ward("13101"),
        "field": field(),
        "urgency": 3,
        "importance": 3,
        "difficulty": 3,
    }
    with pytest.raises(ValidationError, match="この整理番号は既に使われています"):
        issue_create(created_by=coordinator, data=data)
    assert Issue.objects.count() == 1


def test_the_next_generated_ref_counts_refs_typed_in_full_width(db):
    IssueFactory(ref="１３１０１－２０２６－０００４")
    assert issue_ref_generate(ward=ward("13101"), year=2026) == "13101-2026-0005"


@pytest.mark.parametrize("query", ["カラス", "ゴミ", "ｺﾞﾐ", "ｶﾗｽ 被害"])
def test_search_finds_half_width_text_by_any_spelling(db, query):
    IssueFactory(title="ｺﾞﾐ集積所のｶﾗｽ被害")
    IssueFactory(title="公園の遊具")
    assert [i.title for i in issues_filter(q=query)] == ["ｺﾞﾐ集積所のｶﾗｽ被害"]


def test_triage_and_the_public_list_find_it_on_screen(client, coordinator):
    IssueFactory(title="ｺﾞﾐ集積所のｶﾗｽ被害", area="ＡＢＣ町")
    client.force_login(coordinator)
    triage = client.get(reverse("issues:triage"), {"q": "カラス"}).content.decode()
    assert "ｺﾞﾐ集積所のｶﾗｽ被害" in triage
    public = client.get(reverse("issues:public"), {"q": "abc町"}).content.decode()
    assert "ｺﾞﾐ集積所のｶﾗｽ被害" in public


def test_rows_written_in_bulk_get_their_key_and_search_text(db):
    Issue.objects.bulk_create([IssueFactory.build(ref="ｂｕｌｋ－１", title="ｶﾗｽ")])
    issue = Issue.objects.get()
    assert issue.ref_key == "BULK-1" and "カラス" in issue.search_text


def test_the_data_migration_fills_keys_and_keeps_an_old_duplicate_apart(db):
    # Rows as they were before the key: the bug had already made a second issue for one ref.
    first = IssueFactory(ref="13123-2026-0007", title="ｶﾗｽ")
    second = IssueFactory(ref="13123-2026-0008")
    Issue.objects.filter(pk=first.pk).update(ref_key="old-1", search_text="")
    Issue.objects.filter(pk=second.pk).update(ref="１３１２３－２０２６－０００７", ref_key="old-2")

    duplicates = keys_fill(Issue)
    search_text_fill(Issue)

    assert dict(Issue.objects.values_list("pk", "ref_key")) == {
        first.pk: "13123-2026-0007",
        second.pk: f"13123-2026-0007#{second.pk}",
    }
    assert duplicates == [(second.pk, "１３１２３－２０２６－０００７")]
    assert [i.pk for i in issues_filter(q="カラス")] == [first.pk]
