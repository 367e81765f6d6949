"""Dates a person sees are Tokyo dates: no code takes the date of an aware datetime in UTC.

`moment.date()` on an aware datetime gives the date in the datetime's own zone (UTC for every
value read from the database), so between 00:00 and 09:00 JST it is yesterday. The rule: take
a person's date with `timezone.localdate()` / `timezone.localtime(moment).date()`. Naive
`datetime.now()` / `date.today()` are caught by ruff's DTZ rules (pyproject.toml); this test
catches the rest of the kind, `.date()` on a stored timestamp (our `*_at` fields) or on `now()`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "config",
    "portal",
    "issues",
    "partners",
    "matching",
    "evaluation",
    "tests",
    "benchmarks",
]


def _utc_date_calls(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "date"
            and not node.args
        ):
            continue
        target = node.func.value
        stored_timestamp = isinstance(target, ast.Attribute) and target.attr.endswith("_at")
        now_call = (
            isinstance(target, ast.Call)
            and isinstance(target.func, ast.Attribute)
            and target.func.attr in {"now", "utcnow"}
        )
        if stored_timestamp or now_call:
            lines.append(node.lineno)
    return lines


def test_no_utc_date_of_an_aware_datetime():
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [f"{path.relative_to(ROOT)}:{line}" for line in _utc_date_calls(tree)]
    assert found == [], f"use timezone.localtime(…).date() / timezone.localdate(): {found}"


def test_the_check_sees_the_fault_it_names():
    faulty = ast.parse(
        "a = proposal.created_at.date()\nb = timezone.now().date()\nc = localtime(x).date()"
    )
    assert _utc_date_calls(faulty) == [1, 2]
