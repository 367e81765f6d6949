from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.report import CSV_LANGUAGES, ReportFontsMissing, font_paths, report_render
from portal.selectors import ward_by_code_or_name


class Command(BaseCommand):
    help = "評価報告書（年次・四半期）を CSV または PDF で書き出します / exports the evaluation report."

    def add_arguments(self, parser):
        parser.add_argument("file", help="output file")
        parser.add_argument("--fiscal-year", type=int, required=True, help="年度 (e.g. 2025)")
        parser.add_argument("--format", choices=["csv", "pdf"], required=True)
        parser.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="四半期 (1–4)")
        parser.add_argument("--ward", help="区（コードまたは名前）; default: all 23 wards")
        parser.add_argument(
            "--lang",
            choices=CSV_LANGUAGES,
            default="ja",
            help="CSVの見出しの言語 / language of the CSV headers (the PDF is Japanese)",
        )

    def handle(
        self, *args, file, fiscal_year, format, quarter=None, ward=None, lang="ja", **options
    ):
        if not 2000 <= fiscal_year <= 2100:
            raise CommandError("--fiscal-year must be a year such as 2025")
        ward_obj = None
        if ward:
            ward_obj = ward_by_code_or_name(ward)
            if ward_obj is None:
                raise CommandError(f"unknown ward: {ward}")
        if format == "pdf":
            try:
                font_paths()
            except ReportFontsMissing as exc:
                raise CommandError(str(exc)) from exc
        content, figures = report_render(
            fiscal_year=fiscal_year, fmt=format, quarter=quarter, ward=ward_obj, lang=lang
        )
        Path(file).write_bytes(content)
        with_data = sum(1 for row in figures if row["value"] is not None)
        self.stdout.write(
            self.style.SUCCESS(
                f"wrote {file} ({len(content):,} bytes; {with_data}/{len(figures)} KPIs with data)"
            )
        )
