"""An issues import writes in batches: its queries do not grow with the rows, and every row
still gets its audit record, its computed columns and its checks (issue #15, item 6)."""

from __future__ import annotations

import pytest

from issues.models import Issue
from issues.services import issues_import
from issues.tasks import issues_sheet


def _file(rows: int, *, title: str = "見守り体制の強化", first: int = 0) -> bytes:
    lines = ["整理番号,課題名,課題の内容,区,分野,緊急度,重要度,解決困難度,状態\r\n"]
    lines += [
        f"Q-{n:04d},{title} {n},高齢者の見守りの担い手が不足している。,千代田区,高齢者支援,"
        f"{n % 5 + 1},4,3,下書き\r\n"
        for n in range(first, first + rows)
    ]
    return "".join(lines).encode()


def _import(data: bytes, user, *, dry_run: bool = False):
    report = issues_import(dataset=issues_sheet(data), imported_by=user, dry_run=dry_run)
    assert report.ok, report.errors
    return report


def _queries(django_assert_max_num_queries, user, rows: int, **kwargs) -> int:
    with django_assert_max_num_queries(10_000) as captured:
        _import(_file(rows, **kwargs), user)
    return len(captured.captured_queries)


@pytest.mark.parametrize("title", [None, "見守りの担い手"], ids=["new", "updated"])
def test_write_queries_do_not_grow_with_rows(coordinator, django_assert_max_num_queries, title):
    if title is not None:  # the same 50 issues stored first, then every title changed
        _import(_file(50), coordinator)
    changed = {} if title is None else {"title": title}
    at_10 = _queries(django_assert_max_num_queries, coordinator, 10, **changed)
    with django_assert_max_num_queries(at_10):
        _import(_file(50, **changed), coordinator)


def test_each_written_row_has_its_history_and_computed_columns(coordinator):
    _import(_file(3), coordinator)
    issue = Issue.objects.get(ref="Q-0001")
    created = issue.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        coordinator,
        "ファイルからの取り込み",
    )
    assert issue.ref_key and "見守り体制" in issue.search_text
    assert issue.priority > 0 and issue.status_changed_at is not None

    before = issue.updated_at
    _import(_file(3, title="ゴミ集積所のカラス"), coordinator)
    issue.refresh_from_db()
    assert issue.title == "ゴミ集積所のカラス 1" and "カラス" in issue.search_text
    assert issue.version == 2 and issue.updated_at > before
    changed = issue.history.order_by("history_id").last()
    assert (changed.history_type, changed.title, changed.history_user) == (
        "~",
        "ゴミ集積所のカラス 1",
        coordinator,
    )


def test_a_repeated_ref_is_named_and_nothing_is_written(coordinator):
    data = _file(2) + "Ｑ－０００１,重複,内容,千代田区,高齢者支援,3,3,3,下書き\r\n".encode()
    report = issues_import(dataset=issues_sheet(data), imported_by=coordinator, dry_run=False)
    assert report.errors == ["4行目「整理番号」: 整理番号「Ｑ－０００１」が3行目と重複しています。"]
    assert not Issue.objects.exists()


def test_a_bad_row_among_batches_names_its_row_and_writes_nothing(coordinator, settings):
    rows = _file(600).decode().splitlines(keepends=True)
    rows[550] = rows[550].replace("千代田区", "ミナト区")
    report = issues_import(
        dataset=issues_sheet("".join(rows).encode()), imported_by=coordinator, dry_run=False
    )
    assert report.errors == ["551行目「区」: 区「ミナト区」が見つかりません。"]
    assert not Issue.objects.exists()
