"""Web load benchmark: demo data scaled to N issues and M resources, gunicorn, C users for T s.

    python benchmarks/bench_web.py [--issues 10000] [--resources 5000] [--users 50] [--seconds 60]
                                   [--think 1-3] [--no-seed]

Uses DATABASE_URL when set (PostgreSQL in production-like runs), else a separate SQLite file
var/bench.sqlite3 (the development database is left alone). Prints requests per second,
p50/p95/p99 latency and the error count.

Two modes. Without --think (saturation): every user is the coordinator and requests the
coordinator's menu screens back to back, so the figure is the throughput limit. With
--think MIN-MAX: users are the coordinator, approver, evaluator and admin in turn, each going
through its own role's menu screens and pausing MIN–MAX seconds (uniformly random) after each
page, as people do; p50/p95/p99 per screen. --no-seed reuses a database seeded by an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


QUERY_COUNT_SCRIPT = """
import json, re
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from portal.models import User
client = Client()
client.force_login(User.objects.get(username="ROLE"))
dashboard = client.get("/dashboard/").content.decode()
nav = dashboard.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
counts = {}
for path in ["/dashboard/", *dict.fromkeys(re.findall(r'href="(/[^"]*)"', nav))]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    counts[path] = len(queries) if status == 200 else -status
print(json.dumps(counts))
"""

SCALE_SCRIPT = """
from copy import copy
from issues.models import Issue
from partners.models import Resource
def scale(model, target):
    base = list(model.objects.all()[:500])
    have = model.objects.count()
    copies, n = [], 0
    while have + len(copies) < target and base:
        row = copy(base[n % len(base)])
        row.pk = None
        row.ref = f"{row.ref[:28]}-x{n}"
        copies.append(row)
        n += 1
    for start in range(0, len(copies), 2000):
        model.objects.bulk_create(copies[start:start + 2000])
    print(model.__name__, model.objects.count())
scale(Issue, ISSUES)
scale(Resource, RESOURCES)
"""


def _queries_per_page(env: dict[str, str], role: str = "coordinator") -> dict[str, int]:
    """A demo account's menu screens → SQL queries each runs (counted in a separate process)."""
    output = subprocess.run(
        [sys.executable, "-c", QUERY_COUNT_SCRIPT.replace("ROLE", role)],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _prepare(env: dict[str, str], issues: int, resources: int) -> tuple[dict, dict]:
    """Demo data, then scaled; returns the queries per screen at both sizes."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True)
    subprocess.run([*manage, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    at_demo_size = _queries_per_page(env)
    script = SCALE_SCRIPT.replace("ISSUES", str(issues)).replace("RESOURCES", str(resources))
    subprocess.run([*manage, "shell", "-c", script], env=env, check=True)
    return at_demo_size, _queries_per_page(env)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", default="", help="MIN-MAX seconds between pages, e.g. 1-3")
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    think = None
    if args.think:
        low, high = (float(x) for x in args.think.split("-"))
        think = (low, high)

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    env["DJANGO_DEBUG"] = "0"
    env.pop("CELERY_BROKER_URL", None)
    if args.no_seed:
        queries_demo, queries_scaled = {}, _queries_per_page(env)
    else:
        queries_demo, queries_scaled = _prepare(env, args.issues, args.resources)
    roles = ["coordinator", "approver", "evaluator", "admin"] if think else ["coordinator"]
    paths_by_user = {role: list(_queries_per_page(env, role)) for role in roles}

    from tests.faults.harness import free_port

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base_url}/health/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        from benchmarks.loadgen import run_load

        paths = list(queries_scaled)
        result = run_load(
            base_url=base_url,
            paths=paths,
            users=args.users,
            duration_s=args.seconds,
            credentials=[(role, "renkei-demo-2026") for role in roles],
            think_s=think,
            paths_by_user=paths_by_user,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    engine = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
    mode = f"think time {args.think} s" if think else "no think time (saturation)"
    print(f"\nweb load: {args.issues} issues, {args.resources} resources, {engine}, ")
    print(f"gunicorn {args.workers} workers x 4 threads, {args.users} users, {args.seconds:.0f} s")
    print(f"mode: {mode}; roles: {', '.join(roles)}")
    for key, value in result.summary().items():
        print(f"  {key:<9} {value}")
    print(
        f"  {'screen':<26} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        "  SQL queries (coordinator) demo → scaled"
    )
    for path, (count, median, p95, p99) in sorted(result.per_path().items()):
        queries = f"{queries_demo.get(path, '?')} → {queries_scaled.get(path, '?')}"
        print(f"  {path:<26} {count:>8} {median:>8.0f} {p95:>8.0f} {p99:>8.0f}  {queries}")
    for sample in result.error_samples:
        print(f"  error: {sample}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
