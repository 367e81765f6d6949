"""Single-user timing of the heavy staff screens, in-process (Django test Client), warm.

    python benchmarks/bench_screens.py [--issues 10000] [--resources 5000] [--runs 7] [--no-seed]

Seeds like bench_web.py (demo data scaled to N issues / M resources) into DATABASE_URL, or
var/bench.sqlite3 when unset; --no-seed times the database as it is. Each screen is requested
once to warm up, then --runs times (/evaluation/ also with its one-minute figure cache
turned off: "computed"); prints the median and the fastest wall-clock ms, the median
CPU ms of this process (SQLite runs in it, so on a shared machine this is the steadier figure)
and the SQL queries per screen and role.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCREENS = ["/dashboard/", "/coordinators/", "/evaluation/"]
ROLES = ["coordinator", "approver", "evaluator", "admin"]

TIMING_SCRIPT = """
import json, statistics, time
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from portal.models import User
from django.core.cache import cache
cache_get = cache.get
COMPUTED = False
def kept_years_only(key, *args, **kwargs):
    # The computed variant: the one-minute figure set is never found; past years still are.
    if COMPUTED and key.startswith("evaluation:dashboard:"):
        return None
    return cache_get(key, *args, **kwargs)
cache.get = kept_years_only
out = []
for role in ROLES:
    client = Client()
    client.force_login(User.objects.get(username=role))
    for path in [*SCREENS, "/evaluation/ (computed)"]:
        COMPUTED = "computed" in path
        path, label = path.split()[0], path
        assert client.get(path).status_code == 200, (role, path)  # warm-up
        times, cpu = [], []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
        out.append([role, label, statistics.median(times), min(times), statistics.median(cpu), len(queries)])
print(json.dumps(out))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    env["DJANGO_DEBUG"] = "0"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.pop("CELERY_BROKER_URL", None)
    if not args.no_seed:
        from benchmarks.bench_web import _prepare

        _prepare(env, args.issues, args.resources)
    script = (
        TIMING_SCRIPT.replace("ROLES", repr(ROLES))
        .replace("SCREENS", repr(SCREENS))
        .replace("RUNS", str(args.runs))
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = json.loads(output.strip().splitlines()[-1])
    engine = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
    print(f"single user, in-process, {engine}, median of {args.runs} warm requests")
    print(
        f"  {'role':<12} {'screen':<24} {'median ms':>10} {'min ms':>8} {'CPU ms':>8} {'queries':>8}"
    )
    for role, path, median, fastest, cpu, queries in rows:
        print(f"  {role:<12} {path:<24} {median:>10.0f} {fastest:>8.0f} {cpu:>8.0f} {queries:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
