"""A small closed-loop HTTP load generator (threads + urllib), bounded in requests and time.

Each virtual user logs in with its own session, then requests the given paths round-robin until
the duration ends. Only loopback targets are allowed.
"""

from __future__ import annotations

import http.cookiejar
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


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
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def per_path(self) -> dict[str, tuple[int, float, float]]:
        """path → (requests, median ms, p95 ms)."""
        out = {}
        for path, values in self.by_path_ms.items():
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            out[path] = (len(values), statistics.median(ordered), p95)
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
) -> LoadResult:
    host = urllib.parse.urlsplit(base_url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("load is only ever sent to loopback")
    result = LoadResult()
    lock = threading.Lock()
    openers = []
    for index in range(users):
        opener = _opener()
        username, password = credentials[index % len(credentials)]
        login(opener, base_url, username, password)
        openers.append(opener)
    # The clock starts once every user is signed in: logins are not part of the measured load.
    deadline = time.monotonic() + duration_s

    def user_loop(index: int) -> None:
        opener = openers[index]
        step = index
        while time.monotonic() < deadline:
            with lock:
                if result.requests >= max_requests:
                    return
            path = paths[step % len(paths)]
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

    started = time.monotonic()
    threads = [threading.Thread(target=user_loop, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.duration_s = time.monotonic() - started
    return result
