from django.core.management.base import BaseCommand, CommandError

from evaluation.report import ReportFontsMissing, font_paths


class Command(BaseCommand):
    help = (
        "PDF報告書の日本語フォントを表示します / prints the Japanese font files the PDF report "
        "uses; without one, fails with what to install."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--notice",
            action="store_true",
            help="without a font, print a one-line notice and exit 0 (`make run`)",
        )

    def handle(self, *args, notice=False, **options):
        try:
            fonts = font_paths()
        except ReportFontsMissing as exc:
            if notice:
                self.stderr.write(
                    f"notice: PDF reports are off (the rest of the portal works): {exc}"
                )
                return
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"regular: {fonts['regular']}\nbold: {fonts['bold']}")
