"""Private services a fault test may break: its own Redis and its own Celery worker.

The shared CI worker and broker are never touched; a fault test starts a Redis (AOF,
`appendfsync always`, `noeviction`, as in docker-compose) and a worker process group bound
to it and to the test database, and kills them with SIGKILL — the way a crash, the kernel's
OOM killer or a pulled plug ends them. The benchmarks use the same pieces to time a run with
1 and 2 workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout:.0f} s")


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start (or restart on the same data directory, replaying the AOF)."""
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(  # nosec B603 - fixed argv
            [
                "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.dir),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--maxmemory-policy", "noeviction",
                "--save", "",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(self.ping, timeout=10, what="redis-server answering PING")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class PrivateWorker:
    """`celery worker` in its own process group: SIGKILL to the group ends it without warning."""

    def __init__(
        self, *, broker_url: str, database_url: str, workdir: Path, concurrency: int = 2, **env
    ) -> None:
        self.name = f"fault-{uuid.uuid4().hex[:8]}"
        self.log_path = workdir / f"{self.name}.log"
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": broker_url.rsplit("/", 1)[0] + "/0",
            # Rank as the test process does (tests/conftest.py: TF-IDF only). With the model on,
            # the worker spends minutes embedding the seeded texts before the first chunk runs.
            "TEXT_EMBEDDER": "off",
            **{key: str(value) for key, value in env.items()},
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # nosec B603 - fixed argv
            [
                CELERY, "-A", "config", "worker",
                "-c", str(self.concurrency),
                "-n", f"{self.name}@%h",
                "--without-gossip", "--without-mingle",
                "-l", "INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self.ready, timeout=90, interval=0.2, what=f"worker {self.name} ready")

    def ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"worker exited; log:\n{self.log_tail()}")
        return " ready." in self.log_path.read_text(errors="replace") and len(self.pool_pids()) >= (
            self.concurrency
        )

    def pool_pids(self) -> list[int]:
        """The prefork children (the processes that execute tasks)."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_pool(self) -> list[int]:
        pids = self.pool_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def kill(self) -> None:
        """The whole worker: main process and pool, at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
