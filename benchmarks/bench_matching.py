"""Full re-match and single-issue refresh through the real matching app, on N issues × M resources.

Generates synthetic issues and resources (texts from benchmarks/bench_engine.py: every text has a
known field and topic) into a throw-away SQLite database (or DATABASE_URL if set), then times:

  * baseline   — bare Sudachi TF-IDF: fit on all texts + transform + cosine top-k (no DB, no rules)
  * full run   — `manage.py run_matching --all` in-process (fit, store the engine version, rules,
                 scoring, explanations, candidate rows written to the database)
  * refresh    — `matching_refresh_issue` of single issues (median of 10)

and prints peak memory (max RSS). With --quality it also prints MRR, P@5 and nDCG@10 of the
engine's top 10 against the generated topics (label 2 = same topic, 1 = same field), with all
signals and with each signal switched off.

    .venv/bin/python benchmarks/bench_matching.py                # 10,000 × 10,000, hybrid
    .venv/bin/python benchmarks/bench_matching.py --tfidf-only   # the same without embeddings
    .venv/bin/python benchmarks/bench_matching.py --issues 2000 --resources 2000
    .venv/bin/python benchmarks/bench_matching.py --issues 1500 --resources 1500 --quality
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIELD_NAMES = {
    "高齢者支援": "高齢者支援",
    "子育て": "子育て支援",
    "防災": "防災・安全",
    "DX": "DX・デジタル",
    "環境": "環境・エネルギー",
    "地域活性化": "地域経済・産業",
}
FIELD_SDGS = {
    "高齢者支援": [3, 11],
    "子育て": [3, 4, 5],
    "防災": [11, 13],
    "DX": [9, 17],
    "環境": [7, 12, 13],
    "地域活性化": [8, 11],
}
KINDS = ["technology", "people", "funding", "facility", "network", "research", "students"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> str:
    if not os.environ.get("DATABASE_URL"):
        workdir = tempfile.mkdtemp(prefix="bench_matching_")
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def seed(n_issues: int, n_resources: int, seed_value: int):
    """Bulk-insert the generated world; returns the issue and resource topic/field arrays."""
    from benchmarks.bench_engine import (
        ISSUE_OPENINGS,
        ISSUE_SENTENCES,
        RESOURCE_OPENINGS,
        RESOURCE_SENTENCES,
        TOPIC_KEYS,
        TOPICS,
        generate,
    )
    from issues.models import Issue, IssueStatus
    from partners.models import Organization, OrgStatus, Resource
    from portal.models import Field, Ward
    from portal.services import reference_data_ensure_loaded

    reference_data_ensure_loaded()
    rng = random.Random(seed_value)
    issues = generate(n_issues, openings=ISSUE_OPENINGS, sentences=ISSUE_SENTENCES, rng=rng)
    resources = generate(
        n_resources, openings=RESOURCE_OPENINGS, sentences=RESOURCE_SENTENCES, rng=rng
    )
    field_names = list(TOPICS)
    fields = {f.name: f for f in Field.objects.all()}
    wards = list(Ward.objects.order_by("code"))
    topic_kind = {key: KINDS[i % len(KINDS)] for i, key in enumerate(TOPIC_KEYS)}

    Issue.objects.all().delete()
    Resource.objects.all().delete()
    Organization.objects.all().delete()
    issue_rows = []
    for i, text in enumerate(issues.texts):
        field = field_names[issues.fields[i]]
        topic_key = TOPIC_KEYS[issues.topics[i]]
        issue_rows.append(
            Issue(
                ref=f"B-ISS-{i:05d}",
                title=text[:40],
                description=text,
                ward=rng.choice(wards),
                field=fields[FIELD_NAMES[field]],
                sdgs=FIELD_SDGS[field] if rng.random() < 0.7 else [],
                desired_resource_kinds=[topic_kind[topic_key]] if rng.random() < 0.6 else [],
                status=IssueStatus.OPEN,
            )
        )
    Issue.objects.bulk_create(issue_rows, batch_size=1000)
    n_orgs = max(1, n_resources // 4)
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                name=f"ベンチ団体{k:05d}",
                org_type="company",
                status=OrgStatus.APPROVED,
                ward=rng.choice(wards),
            )
            for k in range(n_orgs)
        ],
        batch_size=1000,
    )
    resource_rows = []
    for j, text in enumerate(resources.texts):
        field = field_names[resources.fields[j]]
        topic_key = TOPIC_KEYS[resources.topics[j]]
        resource_rows.append(
            Resource(
                ref=f"B-RES-{j:05d}",
                organization=orgs[j % n_orgs],
                kind=topic_kind[topic_key] if rng.random() < 0.6 else rng.choice(KINDS),
                title=text[:40],
                description=text,
                sdgs=FIELD_SDGS[field] if rng.random() < 0.6 else [],
                serves_all_wards=rng.random() < 0.7,
                capacity=rng.randint(1, 5),
            )
        )
    created = Resource.objects.bulk_create(resource_rows, batch_size=1000)
    field_links, ward_links = [], []
    for j, res in enumerate(created):
        field = field_names[resources.fields[j]]
        chosen = [fields[FIELD_NAMES[field]]]
        if rng.random() < 0.3:  # a second, unrelated field: real profiles are broad
            chosen.append(fields[FIELD_NAMES[rng.choice(field_names)]])
        for f in {c.pk for c in chosen}:
            field_links.append(Resource.fields.through(resource_id=res.pk, field_id=f))
        if not res.serves_all_wards:
            for w in rng.sample(wards, 4):
                ward_links.append(Resource.wards.through(resource_id=res.pk, ward_id=w.pk))
    Resource.fields.through.objects.bulk_create(field_links, batch_size=2000)
    Resource.wards.through.objects.bulk_create(ward_links, batch_size=2000)
    return issues, resources


class SyntheticEmbedder:
    """Random unit vectors seeded by the text (e5's size, 384): what the run reads from storage
    costs the same whatever the values, and real embeddings of 20,000 texts take hours here.
    Real throughput is measured on real texts by bench_devset.py."""

    name = "bench-synthetic-384"
    dim = 384

    def embed(self, texts: list[str], *, role: str) -> np.ndarray:
        import zlib

        rows = np.stack(
            [
                np.random.default_rng(zlib.crc32(f"{role}{text}".encode()))
                .standard_normal(self.dim)
                .astype(np.float32)
                for text in texts
            ]
        )
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def embeddings_store() -> float:
    """Compute and store every issue's and resource's (synthetic) embedding, as the on-save
    task would have done before a run; returns the seconds it took."""
    from django.conf import settings

    from issues.models import Issue
    from matching.engine.services import embeddings_refresh
    from partners.models import Resource

    settings.TEXT_EMBEDDER = f"{__name__}.SyntheticEmbedder"
    started = time.perf_counter()
    embeddings_refresh(
        issue_ids=list(Issue.objects.values_list("pk", flat=True)),
        resource_ids=list(Resource.objects.values_list("pk", flat=True)),
    )
    return time.perf_counter() - started


def baseline(issues, resources, k: int) -> float:
    """Bare Sudachi TF-IDF + top-k over the same texts (what the 3x target compares with)."""
    from portal.textengine.analyzer import JapaneseAnalyzer
    from portal.textengine.index import fit_index, top_k, transform

    started = time.perf_counter()
    index = fit_index(documents=issues.texts + resources.texts, analyzer=JapaneseAnalyzer())
    top_k(
        query_matrix=transform(index, issues.texts),
        target_matrix=transform(index, resources.texts),
        k=k,
    )
    return time.perf_counter() - started


def full_run() -> tuple[float, object]:
    from django.conf import settings
    from django.core.management import call_command

    from matching.models import MatchRun

    settings.TASKS_IN_PROCESS = True
    started = time.perf_counter()
    call_command("run_matching", "--all", stdout=io.StringIO())
    elapsed = time.perf_counter() - started
    return elapsed, MatchRun.objects.order_by("-pk").first()


def worker_run(n_workers: int) -> tuple[float, object, float]:
    """A full run sent through a private Redis to `n_workers` Celery workers (1 process each).

    Returns the wall time from the click to the last chunk, the run, and the largest peak
    memory (VmHWM) of a worker's task process.
    """
    from django.conf import settings

    from matching.models import MatchRun
    from matching.runs.services import match_run_start
    from tests.faults.harness import PrivateRedis, PrivateWorker

    workdir = Path(tempfile.mkdtemp(prefix="bench_workers_"))
    redis = PrivateRedis(workdir)
    redis.start()
    workers = [
        PrivateWorker(
            broker_url=redis.url(1),
            database_url=os.environ["DATABASE_URL"],
            workdir=workdir,
            concurrency=1,
        )
        for _ in range(n_workers)
    ]
    try:
        for worker in workers:
            worker.start()
        settings.TASKS_IN_PROCESS = False
        settings.CELERY_BROKER_URL = redis.url(1)
        peak = 0.0
        started = time.perf_counter()
        run = match_run_start(scope=MatchRun.Scope.ALL)
        while not run.finished:
            time.sleep(1)
            run.refresh_from_db()
            peak = max([peak] + [_peak_mb(pid) for w in workers for pid in w.pool_pids()])
        return time.perf_counter() - started, run, peak
    finally:
        settings.TASKS_IN_PROCESS = True
        for worker in workers:
            worker.stop()
        redis.stop()


def _peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def refresh_times(n: int = 10) -> list[float]:
    from issues.models import Issue
    from matching.runs.services import matching_refresh_issue

    ids = list(Issue.objects.order_by("?").values_list("pk", flat=True)[:n])
    times = []
    for pk in ids:
        started = time.perf_counter()
        matching_refresh_issue(issue_id=pk)
        times.append(time.perf_counter() - started)
    return times


def quality(issues, resources, sample: int) -> list[tuple[str, dict[str, float]]]:
    """MRR, P@5, nDCG@10 of the engine's top 10 with all signals and without each one."""
    from issues.models import Issue
    from matching.rules import DEFAULT_WEIGHTS, FEATURES
    from matching.scoring import compute_matches, context_build, engine_load
    from partners.models import Resource

    engine = engine_load()
    issue_ids = list(Issue.objects.order_by("ref").values_list("pk", flat=True)[:sample])
    ref_index = {
        pk: int(ref.split("-")[-1])
        for pk, ref in Issue.objects.filter(pk__in=issue_ids).values_list("pk", "ref")
    }
    res_index = {
        pk: int(ref.split("-")[-1]) for pk, ref in Resource.objects.values_list("pk", "ref")
    }
    configs = [("all signals", dict(DEFAULT_WEIGHTS))]
    configs += [
        (f"without {name}", {**DEFAULT_WEIGHTS, name: 0.0}) for name in FEATURES if name != "text"
    ]
    configs.append(("text only", {name: (1.0 if name == "text" else 0.0) for name in FEATURES}))
    out = []
    for label, weights in configs:
        ctx = context_build(engine=engine, weights=weights, top_k=10, allow_learned=False)
        results = compute_matches(issue_ids, ctx)
        rr, p5, ndcg = [], [], []
        for pk in issue_ids:
            i = ref_index[pk]
            same_topic = resources.topics == issues.topics[i]
            same_field = resources.fields == issues.fields[i]
            all_labels = np.where(same_topic, 2, np.where(same_field, 1, 0))
            ranked = [all_labels[res_index[p.resource_id]] for p in results[pk]]
            relevant = [lab >= 2 for lab in ranked]
            rr.append(1.0 / (relevant.index(True) + 1) if any(relevant) else 0.0)
            p5.append(sum(relevant[:5]) / 5)
            discounts = 1 / np.log2(np.arange(2, 12))
            gains = (2.0 ** np.array(ranked[:10], dtype=float)) - 1
            ideal = (2.0 ** np.sort(all_labels)[::-1][:10]) - 1
            ndcg.append(float(np.sum(gains * discounts[: len(gains)]) / np.sum(ideal * discounts)))
        out.append(
            (label, {"mrr": np.mean(rr), "p_at_5": np.mean(p5), "ndcg_at_10": np.mean(ndcg)})
        )
    return out


def _print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def main_workers(args) -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("--workers needs DATABASE_URL=postgres://… (workers share the database)")
        return 2
    database = setup_django()
    started = time.perf_counter()
    from issues.models import Issue
    from partners.models import Resource

    seeded = (Issue.objects.count(), Resource.objects.count()) == (args.issues, args.resources)
    if not (args.reuse and seeded):
        seed(args.issues, args.resources, args.seed)
    print(f"database: {database.split('@')[-1]}  ready in {time.perf_counter() - started:.1f} s")
    rows = [("issues × resources", f"{args.issues:,} × {args.resources:,}")]
    status = 0
    for n in [int(part) for part in args.workers.split(",")]:
        seconds, run, peak = worker_run(n)
        rows.append(
            (
                f"full run, {n} worker{'s' if n > 1 else ''}",
                f"{seconds:.1f} s ({run.status}, {run.chunks_total} chunks, "
                f"{run.candidate_count:,} candidates, peak {peak:.0f} MB per worker)",
            )
        )
        print(f"{rows[-1][0]}: {rows[-1][1]}", flush=True)
        status |= run.status != "succeeded"
    refresh = refresh_times()
    rows.append(
        (
            "single-issue refresh (median / max of 10)",
            f"{statistics.median(refresh) * 1000:.0f} / {max(refresh) * 1000:.0f} ms",
        )
    )
    _print_table(rows)
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quality", action="store_true", help="also print ranking quality")
    parser.add_argument(
        "--tfidf-only",
        dest="embeddings",
        action="store_false",
        help="no embeddings: time the TF-IDF-only run (by default a (synthetic) embedding of "
        "every text is stored first, as the on-save task does, and the run is the hybrid one)",
    )
    parser.add_argument("--quality-sample", type=int, default=500)
    parser.add_argument(
        "--workers",
        help="comma-separated worker counts (e.g. 1,2): time the full run through Redis and "
        "Celery workers instead of in-process (needs DATABASE_URL on PostgreSQL)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --workers: keep a database already seeded with this many rows",
    )
    args = parser.parse_args()
    if args.workers:
        return main_workers(args)

    database = setup_django()
    started = time.perf_counter()
    issues, resources = seed(args.issues, args.resources, args.seed)
    print(f"database: {database.split('@')[-1]}  seeded in {time.perf_counter() - started:.1f} s")
    memory_before = rss_mb()

    base = baseline(issues, resources, args.k)
    stored = embeddings_store() if args.embeddings else 0.0
    run_seconds, run = full_run()
    refresh = refresh_times()
    peak = rss_mb()

    rows = [
        ("issues × resources", f"{args.issues:,} × {args.resources:,}"),
        ("bare Sudachi TF-IDF top-k", f"{base:.1f} s"),
        (
            "run_matching --all (in-process)",
            f"{run_seconds:.1f} s"
            + (" with embeddings stored (hybrid)" if args.embeddings else " (TF-IDF only)"),
        ),
        ("  ratio to bare TF-IDF", f"{run_seconds / base:.2f}× (target ≤ 2×)"),
        ("  storing the embeddings first (synthetic)", f"{stored:.1f} s (not in the run time)"),
        ("  chunks / candidates", f"{run.chunks_total} / {run.candidate_count:,}"),
        ("  status", run.status),
        ("single-issue refresh (median of 10)", f"{statistics.median(refresh) * 1000:.0f} ms"),
        ("single-issue refresh (max)", f"{max(refresh) * 1000:.0f} ms (target < 1 s)"),
        ("peak memory (max RSS)", f"{peak:.0f} MB (after seeding {memory_before:.0f} MB)"),
    ]
    _print_table(rows)
    if args.quality:
        print()
        print(f"ranking quality on {args.quality_sample} issues (top 10, hand weights)")
        print(f"{'configuration':<24} {'MRR':>6} {'P@5':>6} {'nDCG@10':>8}")
        for label, m in quality(issues, resources, args.quality_sample):
            print(f"{label:<24} {m['mrr']:6.3f} {m['p_at_5']:6.3f} {m['ndcg_at_10']:8.3f}")
    return 0 if run.status == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
