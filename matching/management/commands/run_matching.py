"""python manage.py run_matching --all | --issue REF — in-process without a broker, else via workers."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from issues.models import Issue
from matching.models import MatchRun
from matching.runs.services import match_run_start
from matching.tasks import matching_run_prepare
from portal.identifiers import reference_key


class Command(BaseCommand):
    help = "マッチングを実行します（--all: 全件, --issue REF: 課題1件）。"

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--all", action="store_true", help="募集中・精査中の課題すべて")
        target.add_argument("--issue", metavar="REF", help="課題の整理番号")
        parser.add_argument("--timeout", type=int, default=3600, help="ワーカー待ちの上限（秒）")
        parser.add_argument("--no-wait", action="store_true", help="ワーカーの完了を待たない")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["issue"]:
            issue = Issue.objects.filter(ref_key=reference_key(options["issue"])).first()
            if issue is None:
                raise CommandError(f"課題 {options['issue']} が見つかりません。")
            run = match_run_start(scope=MatchRun.Scope.ISSUE, issue=issue)
        else:
            run = match_run_start(scope=MatchRun.Scope.ALL)
        mode = "in-process" if settings.TASKS_IN_PROCESS else "worker"
        self.stdout.write(f"run {run.pk} ({mode})")
        deadline = time.monotonic() + options["timeout"]
        run.refresh_from_db()
        if settings.TASKS_IN_PROCESS and run.status == MatchRun.Status.QUEUED:
            # Called inside an outer transaction (commit hooks deferred): run it now; the
            # deferred hook later finds the run no longer queued and does nothing.
            matching_run_prepare.apply(kwargs={"run_id": run.pk}, throw=True)
            run.refresh_from_db()
        while not settings.TASKS_IN_PROCESS and not options["no_wait"] and not run.finished:
            if time.monotonic() > deadline:
                raise CommandError(f"run {run.pk}: ワーカーの完了を待てませんでした。")
            time.sleep(0.5)
            run.refresh_from_db()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"run {run.pk}: status={run.status} chunks={run.chunks_done}/{run.chunks_total} "
            f"candidates={run.candidate_count} time={elapsed:.2f}s"
        )
        if run.status == MatchRun.Status.FAILED:
            raise CommandError(run.error or "failed")
