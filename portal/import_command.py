"""The shared shape of the spreadsheet import commands (import_issues, import_resources)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.tabular import TabularError, tabular_read


class TabularImportCommand(BaseCommand):
    """Reads FILE, runs the app's all-or-nothing import, reports row errors on stderr.

    Subclasses set `aliases` and `required` and implement `run_import(dataset, dry_run)`
    returning a report (a portal.tabular.ImportOutcome) and a `summary(dry_run)` line.
    """

    aliases: Mapping[str, str] = {}
    required: Sequence[str] = ()

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing"
        )

    def run_import(self, dataset, *, dry_run: bool) -> Any:
        raise NotImplementedError

    def summary(self, report, *, dry_run: bool) -> str:
        raise NotImplementedError

    def handle(self, *args, file: Path, dry_run: bool = False, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読み込めません: {file} ({exc.strerror})") from exc
        try:
            dataset = tabular_read(data=data, aliases=self.aliases, required=self.required)
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        report = self.run_import(dataset, dry_run=dry_run)
        if not report.ok:
            # The first ERRORS_SHOWN messages and a count of the rest: a million bad rows must
            # not become a million lines on the terminal.
            for message in report.errors_shown:
                self.stderr.write(message)
            raise CommandError(
                f"{len(report.errors)}件の誤りがあるため、何も取り込みませんでした。"
            )
        self.stdout.write(self.style.SUCCESS(self.summary(report, dry_run=dry_run)))
