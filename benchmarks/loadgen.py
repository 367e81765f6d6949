"""A small closed-loop HTTP load generator (threads + urllib), bounded in requests and time.

Each virtual user logs in with its own session, then requests the given paths round-robin until
the duration ends: back to back (saturation), or pausing a random think time between pages as a
person would. Only loopback targets are allowed.
"""

from __future__ import annotations

import http.cookiejar
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _nearest_rank(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_path_ms: dict[str, list[float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        return _nearest_rank(sorted(self.latencies_ms), p)

    def per_path(self) -> dict[str, tuple[int, float, float, float]]:
        """path → (requests, p50 ms, p95 ms, p99 ms)."""
        out = {}
        for path, values in self.by_path_ms.items():
            ordered = sorted(values)
            out[path] = (
                len(values),
                statistics.median(ordered),
                _nearest_rank(ordered, 95),
                _nearest_rank(ordered, 99),
            )
        return out

    def summary(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0,
        }


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def login(opener, base_url: str, username: str, password: str) -> None:
    page = opener.open(f"{base_url}/login/", timeout=30).read().decode()
    token = CSRF_INPUT.search(page).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/login/", data=body, headers={"Referer": f"{base_url}/login/"}
    )
    response = opener.open(request, timeout=30)
    if "/login/" in response.geturl():
        raise RuntimeError(f"login failed for {username}")


def run_load(
    *,
    base_url: str,
    paths: list[str],
    users: int,
    duration_s: float,
    credentials: list[tuple[str, str]],
    max_requests: int = 1_000_000,
    think_s: tuple[float, float] | None = None,
    paths_by_user: dict[str, list[str]] | None = None,
) -> LoadResult:
    """``think_s``: (min, max) seconds each user pauses after a page (None: no pause).
    ``paths_by_user``: a user's own screens (e.g. its role's menu) instead of ``paths``."""
    host = urllib.parse.urlsplit(base_url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("load is only ever sent to loopback")
    result = LoadResult()
    lock = threading.Lock()
    openers, user_paths = [], []
    for index in range(users):
        opener = _opener()
        username, password = credentials[index % len(credentials)]
        login(opener, base_url, username, password)
        openers.append(opener)
        user_paths.append((paths_by_user or {}).get(username, paths))
    # The clock starts once every user is signed in: logins are not part of the measured load.
    deadline = time.monotonic() + duration_s

    def user_loop(index: int) -> None:
        opener, own_paths = openers[index], user_paths[index]
        pause = random.Random(index)  # reproducible think times per user
        step = index
        if think_s:  # people do not all arrive in the same second
            time.sleep(pause.uniform(0, think_s[1]))
        while time.monotonic() < deadline:
            with lock:
                if result.requests >= max_requests:
                    return
            path = own_paths[step % len(own_paths)]
            step += 1
            started = time.perf_counter()
            error = None
            try:
                response = opener.open(f"{base_url}{path}", timeout=30)
                response.read()
                if response.status != 200 or "/login/" in response.geturl():
                    error = f"{path}: {response.status} {response.geturl()}"
            except (urllib.error.URLError, OSError) as exc:
                error = f"{path}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result.requests += 1
                result.latencies_ms.append(elapsed)
                result.by_path_ms.setdefault(path, []).append(elapsed)
                if error:
                    result.errors += 1
                    if len(result.error_samples) < 10:
                        result.error_samples.append(error)
            if think_s:
                time.sleep(min(pause.uniform(*think_s), max(0.0, deadline - time.monotonic())))

    started = time.monotonic()
    threads = [threading.Thread(target=user_loop, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.duration_s = time.monotonic() - started
    return result
