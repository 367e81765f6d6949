"""python manage.py export_candidates FILE — ranked candidates as CSV (UTF-8 with BOM)."""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand

from matching.selectors import candidates_for_export, explanation_text
from portal.models import AccessLog
from portal.services import access_log_record
from portal.tabular import cell_neutralize


def neutralise(value: object) -> object:
    return cell_neutralize("" if value is None else str(value))


class Command(BaseCommand):
    help = "マッチング候補を CSV に書き出します（issue_ref,resource_ref,rank,score,explanation）。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        count = 0
        with open(file, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["issue_ref", "resource_ref", "rank", "score", "explanation"])
            for candidate in candidates_for_export().iterator(chunk_size=2000):
                writer.writerow(
                    [
                        neutralise(candidate.issue.ref),
                        neutralise(candidate.resource.ref),
                        candidate.rank,
                        f"{candidate.score:.4f}",
                        neutralise(explanation_text(candidate)),
                    ]
                )
                count += 1
        access_log_record(kind=AccessLog.Kind.EXPORT, detail=f"export_candidates {count} rows")
        self.stdout.write(f"{count} 件を書き出しました: {file}")
