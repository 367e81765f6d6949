"""python manage.py import_resources FILE — all-or-nothing import of company/university resources."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partners.resources import HEADER_ALIASES, REQUIRED
from partners.services import resources_check, resources_import
from portal.tabular import TabularError, tabular_read


class Command(BaseCommand):
    help = "Imports resources from CSV (UTF-8, UTF-8 BOM, CP932) or XLSX; nothing is written on any error."

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
        report = (
            resources_check(dataset=dataset)
            if dry_run
            else resources_import(dataset=dataset, imported_by=None)
        )
        if not report.ok:
            for message in report.errors:
                self.stderr.write(message)
            raise CommandError(
                f"{len(report.errors)}件の誤りがあるため、何も取り込みませんでした。"
            )
        if dry_run:
            self.stdout.write(f"確認のみ: {len(report.rows)}行に誤りはありません。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"取り込みました: 新規 {report.created}件、更新 {report.updated}件、"
                f"新しい団体 {report.organizations_created}件"
            )
        )
