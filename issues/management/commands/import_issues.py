"""python manage.py import_issues FILE — all-or-nothing import of community issues."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.resources import HEADER_ALIASES, REQUIRED
from issues.services import issues_import
from portal.tabular import TabularError, tabular_read


class Command(BaseCommand):
    help = (
        "Imports issues from CSV (UTF-8, UTF-8 BOM, CP932) or XLSX; "
        "nothing is written on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing"
        )

    def handle(self, *args, file: Path, dry_run: bool = False, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読み込めません: {file} ({exc.strerror})") from exc
        try:
            dataset = tabular_read(data=data, aliases=HEADER_ALIASES, required=REQUIRED)
        except TabularError as exc:
            raise CommandError(str(exc)) from exc
        report = issues_import(dataset=dataset, imported_by=None, dry_run=dry_run)
        if not report.ok:
            for message in report.errors:
                self.stderr.write(message)
            raise CommandError(
                f"{len(report.errors)}件の誤りがあるため、何も取り込みませんでした。"
            )
        prefix = "確認のみ（何も書き込んでいません）: " if dry_run else "取り込みました: "
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}新規 {report.created}件、更新 {report.updated}件、"
                f"変更なし {report.skipped}件"
            )
        )
