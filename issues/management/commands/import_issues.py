"""python manage.py import_issues FILE — all-or-nothing import of community issues."""

from issues.fields import REQUIRED_COLUMNS
from issues.resources import HEADER_ALIASES
from issues.services import issues_import
from portal.import_command import TabularImportCommand


class Command(TabularImportCommand):
    help = (
        "Imports issues from CSV (UTF-8, UTF-8 BOM, CP932) or XLSX; "
        "nothing is written on any error."
    )
    aliases = HEADER_ALIASES
    required = REQUIRED_COLUMNS

    def run_import(self, dataset, *, dry_run: bool):
        return issues_import(dataset=dataset, imported_by=None, dry_run=dry_run)

    def summary(self, report, *, dry_run: bool) -> str:
        prefix = "確認のみ（何も書き込んでいません）: " if dry_run else "取り込みました: "
        return (
            f"{prefix}新規 {report.created}件、更新 {report.updated}件、変更なし {report.skipped}件"
        )
