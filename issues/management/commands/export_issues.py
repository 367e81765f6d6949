"""python manage.py export_issues FILE — CSV (UTF-8 with BOM) in the import's own columns."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.fields import COLUMNS
from issues.resources import issue_row
from issues.selectors import issues_for_export
from portal.models import AccessLog
from portal.services import access_log_record
from portal.tabular import csv_bytes


class Command(BaseCommand):
    help = "Exports every issue as CSV (UTF-8 with BOM); the file re-imports unchanged."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        rows = [issue_row(issue) for issue in issues_for_export()]
        try:
            file.write_bytes(csv_bytes(headers=COLUMNS, rows=rows))
        except OSError as exc:
            raise CommandError(f"ファイルに書き込めません: {file} ({exc.strerror})") from exc
        access_log_record(
            kind=AccessLog.Kind.EXPORT, username="manage.py", detail=f"issues csv rows={len(rows)}"
        )
        self.stdout.write(self.style.SUCCESS(f"{len(rows)}件を書き出しました: {file}"))
