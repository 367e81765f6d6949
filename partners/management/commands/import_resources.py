"""python manage.py import_resources FILE — all-or-nothing import of company/university resources."""

from partners.resources import HEADER_ALIASES, REQUIRED
from partners.services import resources_check, resources_import
from portal.import_command import TabularImportCommand


class Command(TabularImportCommand):
    help = (
        "Imports resources from CSV (UTF-8, UTF-8 BOM, CP932) or XLSX; "
        "nothing is written on any error."
    )
    aliases = HEADER_ALIASES
    required = REQUIRED

    def run_import(self, dataset, *, dry_run: bool):
        if dry_run:
            return resources_check(dataset=dataset)
        return resources_import(dataset=dataset, imported_by=None)

    def summary(self, report, *, dry_run: bool) -> str:
        if dry_run:
            return f"確認のみ: {len(report.rows)}行に誤りはありません。"
        return (
            f"取り込みました: 新規 {report.created}件、更新 {report.updated}件、"
            f"新しい団体 {report.organizations_created}件"
        )
