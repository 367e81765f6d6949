"""Time to build the annual evaluation report (PDF and CSV) for a 年度 with 1,000 projects.

Runs against a throw-away SQLite database in a temporary folder (the project database is not
touched). Each project gets 3 indicators with 8 measurements, 2 committee reviews with an
improvement action, a satisfaction response and a continuation record; some carry a case write-up
and an outcome-based payment line. Target: the PDF renders in under 30 s.

    .venv/bin/python benchmarks/bench_report.py --projects 1000
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--fiscal-year", type=int, default=2025)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds allowed for the PDF")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench_report_")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["DJANGO_MEDIA_ROOT"] = f"{workdir}/media"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seeded = _seed(args.projects, args.fiscal_year)
    print(f"database: migrate + seed {seeded} in {time.perf_counter() - started:.1f} s ({workdir})")

    from evaluation.report import report_render

    timings = {}
    for fmt in ("csv", "pdf"):
        started = time.perf_counter()
        content, figures = report_render(fiscal_year=args.fiscal_year, fmt=fmt)
        timings[fmt] = time.perf_counter() - started
        Path(workdir, f"report.{fmt}").write_bytes(content)
        print(
            f"{fmt}: {timings[fmt]:.2f} s, {len(content):,} bytes, "
            f"{sum(1 for f in figures if f['value'] is not None)}/{len(figures)} KPIs with data"
        )
    ok = timings["pdf"] < args.limit
    print(
        f"PDF for {args.projects} projects: {timings['pdf']:.2f} s (limit {args.limit:.0f} s) "
        f"{'OK' if ok else 'TOO SLOW'}"
    )
    return 0 if ok else 1


def _seed(n: int, fiscal_year: int) -> str:
    from evaluation.models import (
        CaseStudy,
        CommitteeMember,
        Continuation,
        ImprovementAction,
        Measurement,
        PaymentSchedule,
        ProjectIndicator,
        Review,
        SatisfactionSurvey,
    )
    from issues.models import Issue
    from matching.projects.models import Project
    from portal.models import Field, Ward
    from portal.services import reference_data_ensure_loaded

    reference_data_ensure_loaded()
    rng = random.Random(7)
    wards = list(Ward.objects.all())
    fields = list(Field.objects.all())
    start = datetime.date(fiscal_year, 4, 1)
    Issue.objects.bulk_create(
        Issue(
            ref=f"B-{i:05d}",
            title=f"地域課題 {i}",
            description="説明",
            status="open",
            ward=rng.choice(wards),
            field=rng.choice(fields),
        )
        for i in range(n * 2)
    )
    Project.objects.bulk_create(
        Project(
            title=f"連携事業 {i:04d} {rng.choice(fields).name}の取り組み",
            ward=rng.choice(wards),
            field=rng.choice(fields),
            start_date=start - datetime.timedelta(days=rng.randint(0, 700)),
            status="pilot",
            public_cost=rng.randint(1, 50) * 100_000,
            partner_cost=rng.randint(1, 30) * 100_000,
            in_kind_value=rng.randint(0, 20) * 100_000,
        )
        for i in range(n)
    )
    projects = list(Project.objects.all())
    ProjectIndicator.objects.bulk_create(
        ProjectIndicator(
            project=p,
            name=f"指標{k}",
            level="output",
            kind="quantitative",
            unit="件",
            baseline=10,
            target=30,
        )
        for p in projects
        for k in range(3)
    )
    Measurement.objects.bulk_create(
        Measurement(
            indicator=ind,
            measured_on=start + datetime.timedelta(days=40 * m),
            value=Decimal(10 + m * rng.randint(0, 3)),
        )
        for ind in ProjectIndicator.objects.all()
        for m in range(8)
    )
    members = [CommitteeMember.objects.create(name=f"委員{i}") for i in range(5)]
    Review.objects.bulk_create(
        Review(
            project=p,
            member=members[(i + j) % 5],
            kind="annual",
            fiscal_year=fiscal_year,
            score=rng.randint(2, 5),
            reviewed_on=start + datetime.timedelta(days=300),
        )
        for i, p in enumerate(projects)
        for j in range(2)
    )
    ImprovementAction.objects.bulk_create(
        ImprovementAction(
            review=r,
            recommendation="指標の測定方法を統一すること",
            status=rng.choice(["open", "implemented", "not_implemented"]),
        )
        for r in Review.objects.all()[:n]
    )
    SatisfactionSurvey.objects.bulk_create(
        SatisfactionSurvey(
            project=p,
            respondent_type="resident",
            score=rng.randint(1, 5),
            answered_on=start + datetime.timedelta(days=100),
        )
        for p in projects
    )
    Continuation.objects.bulk_create(
        Continuation(
            project=p,
            years=1,
            state=rng.choice(["continued", "developed", "ended"]),
            recorded_on=start,
        )
        for p in projects
        if p.start_date < start
    )
    CaseStudy.objects.bulk_create(
        CaseStudy(
            project=p,
            kind="best",
            title=f"事例 {p.title}",
            summary="概要",
            success_factors=["resident"],
            published=True,
        )
        for p in projects[:50]
    )
    first_indicator = {i.project_id: i for i in ProjectIndicator.objects.filter(name="指標0")}
    PaymentSchedule.objects.bulk_create(
        PaymentSchedule(
            project=p,
            indicator=first_indicator[p.pk],
            threshold=20,
            amount=100_000,
            verification_date=start + datetime.timedelta(days=200),
        )
        for p in projects[:100]
    )
    return f"{n} projects, {Measurement.objects.count()} measurements, {Review.objects.count()} reviews"


if __name__ == "__main__":
    raise SystemExit(main())
