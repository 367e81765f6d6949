"""The three oversized inputs of issue #15 (item 6), written to a directory for measuring;
and the time of an issues import, checked (dry run) and written, as an import job runs it.

    .venv/bin/python -m benchmarks.bench_import write DIR
    /usr/bin/time -v .venv/bin/python manage.py import_issues --dry-run DIR/declared.xlsx
    .venv/bin/python -m benchmarks.bench_import time [ROWS ...] [--profile FILE]

`time` migrates a fresh database (DATABASE_URL, or var/bench-import.sqlite3 when unset; its
issues are deleted), then for each ROWS (default 1600 and 10000) checks and writes a file of
that many new issues of one ward as its coordinator, then writes it again with every title
changed (updates); prints seconds and SQL queries of each. --profile writes cProfile stats of
the last write of new rows. Follow-up tasks (embedding new texts, in this process when no
broker is configured; TEXT_EMBEDDER=off skips them) are timed apart, as they run after a job.

- declared.xlsx: 1.7 KB, declares A1:XFD1048576 and has one cell in row 1,048,576;
- million.csv: a header and 1,000,000 rows (8 MB, under the 10 MB upload limit);
- longcell.csv: one cell of 200,000 characters (over the csv module's field limit).
"""

from __future__ import annotations

import io
import os
import sys
import time
import zipfile
from pathlib import Path

HEADER = "ref,title,description,ward,category\r\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def declared_xlsx() -> bytes:
    header = "".join(
        _inline(f"{col}1", name) for col, name in zip("ABCDE", HEADER.split(",")[:5], strict=True)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{header}</row>'
        f'<row r="1048576">{_inline("A1048576", "X")}</row>'
        "</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def million_csv() -> bytes:
    return (HEADER + "x,t,d,,\n" * 1_000_000).encode()


def long_cell_csv() -> bytes:
    return (HEADER + "A-1," + "長" * 200_000 + ",d,港区,高齢者支援\r\n").encode()


def issues_csv(rows: int, *, title: str = "見守り体制の強化") -> bytes:
    lines = ["整理番号,課題名,課題の内容,区,分野,緊急度,重要度,解決困難度,状態\r\n"]
    lines.extend(
        f"B-{n:05d},{title} {n},一人暮らしの高齢者が増え、見守りの担い手が不足している。"
        f",千代田区,高齢者支援,{n % 5 + 1},4,3,下書き\r\n"
        for n in range(rows)
    )
    return "".join(lines).encode()


def time_imports(counts: list[int], profile: str | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///var/bench-import.sqlite3")
    import django

    django.setup()
    import cProfile

    from django.core.management import call_command
    from django.db import connection

    from issues.models import Issue
    from issues.services import issues_import
    from issues.tasks import issues_sheet
    from portal.models import Role, User, Ward
    from portal.services import tasks_deferred

    call_command("migrate", verbosity=0)
    Issue.objects.all().delete()
    user, _ = User.objects.update_or_create(
        username="bench-import",
        defaults={"role": Role.COORDINATOR, "ward": Ward.objects.get(code="13101")},
    )
    print(f"{connection.vendor}: rows, phase, seconds, queries")
    for rows in counts:
        Issue.objects.all().delete()
        for phase, data, dry_run in [
            ("check", issues_csv(rows), True),
            ("write new", issues_csv(rows), False),
            ("write updates", issues_csv(rows, title="見守りの担い手"), False),
        ]:
            dataset = issues_sheet(data)
            profiler = cProfile.Profile() if profile and phase == "write new" else None
            # As an import job runs it: embedding the new texts follows the job (timed apart).
            queries: list[str] = []

            def counting(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            counted = connection.execute_wrapper(counting)
            with tasks_deferred(), counted:
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                report = issues_import(dataset=dataset, imported_by=user, dry_run=dry_run)
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile)
                seconds = time.perf_counter() - started
            after = time.perf_counter() - started - seconds
            assert report.ok, report.errors[:3]
            print(
                f"{rows:>6}, {phase:<13}, {seconds:7.2f}, {len(queries)}"
                f" (then {after:.1f} s of follow-up tasks)"
            )
    Issue.objects.all().delete()


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[1] == "time":
        args = argv[2:]
        profile = None
        if "--profile" in args:
            at = args.index("--profile")
            profile = args[at + 1]
            del args[at : at + 2]
        time_imports([int(n) for n in args] or [1600, 10_000], profile)
        return
    if len(argv) != 3 or argv[1] != "write":
        raise SystemExit(__doc__)
    target = Path(argv[2])
    target.mkdir(parents=True, exist_ok=True)
    (target / "declared.xlsx").write_bytes(declared_xlsx())
    (target / "million.csv").write_bytes(million_csv())
    (target / "longcell.csv").write_bytes(long_cell_csv())


if __name__ == "__main__":
    main(sys.argv)
