"""The pieces of the production smoke test: the deployment's own commands, a fresh PostgreSQL
database, server processes stopped by PID, and an HTTP client that stands where the TLS proxy
stands in front of gunicorn.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import yaml

from tests.faults.harness import ROOT, wait_for

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


# --------------------------------------------------------------------- the deployment's commands


def compose_command(service: str) -> list[str]:
    """The `command:` docker-compose runs for `service`, as written in docker-compose.yml."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    return list(compose["services"][service]["command"])


def dockerfile_collectstatic() -> tuple[dict[str, str], list[str]]:
    """The image build's collectstatic: its environment assignments and its command."""
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("RUN ") and "collectstatic" in line:
            words = shlex.split(line.removeprefix("RUN "))
            env = {}
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                key, _, value = words.pop(0).partition("=")
                env[key] = value
            return env, words
    raise AssertionError("the Dockerfile runs no collectstatic")


def local_argv(argv: list[str], replace: dict[str, str] | None = None) -> list[str]:
    """The container's argv on this machine: the virtualenv's executables, local paths/ports."""
    program = (
        sys.executable if argv[0] == "python" else str(Path(sys.executable).with_name(argv[0]))
    )
    rest = [(replace or {}).get(word, word) for word in argv[1:]]
    return [program, *rest]


# ------------------------------------------------------------------------------- the database


def _connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


@dataclass
class FreshDatabase:
    """A database of its own on the PostgreSQL server the tests use, dropped afterwards."""

    server_url: str  # any database on that server, to connect through

    def __post_init__(self) -> None:
        self.name = f"smoke_{uuid.uuid4().hex[:10]}"
        parts = urllib.parse.urlsplit(self.server_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def create(self) -> None:
        with _connect(self.server_url) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with _connect(self.server_url) as conn:
            # FORCE: a server process killed late may still hold a connection.
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def server_url_from_settings() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    user = urllib.parse.quote(db.get("USER") or "postgres")
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# ------------------------------------------------------------------------------- processes


class Server:
    """A long-running process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(  # nosec B603 - argv from docker-compose.yml
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited; log:\n{self.log_tail()}")
        return True

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn's and celery's own children too), then SIGKILL."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def run_command(argv: list[str], *, env: dict[str, str], timeout: float) -> str:
    """A one-shot command (migrate, collectstatic, ...); its output, or a failure showing it."""
    result = subprocess.run(  # nosec B603 - argv from docker-compose.yml / the Dockerfile
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(argv[1:])} exited {result.returncode}:\n{output}"
    return output


# ------------------------------------------------------------------------------- HTTP client


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the test reads each redirect itself


class Browser:
    """A client with a cookie jar, as a person's browser behind the site's TLS proxy.

    gunicorn speaks plain HTTP; in production a proxy terminates TLS and says so with
    `X-Forwarded-Proto: https`, which the settings trust (SECURE_PROXY_SSL_HEADER). This client
    sends that header, the Origin and Referer a browser sends with a form over HTTPS (Django's
    CSRF check insists on them for secure requests), and keeps the `Secure` cookies, which
    the browser would hold for the HTTPS site.
    """

    def __init__(self, base: str, *, host: str) -> None:
        self.base = base
        self.host = host  # the site's name, as the proxy passes it on
        self.origin = f"https://{host}"
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http"))
        self.cookies = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        *,
        referer: str | None = None,
        proxied: bool = True,
    ) -> Response:
        headers = {"Host": self.host}
        if proxied:
            headers["X-Forwarded-Proto"] = "https"
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + (referer or path)
        request = urllib.request.Request(  # noqa: S310 - base is this test's own gunicorn
            self.base + path, data=body, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=60) as reply:  # nosec B310 - local server
                return Response(reply.status, reply.headers, reply.read())
        except urllib.error.HTTPError as reply:  # 3xx (not followed), 4xx, 5xx
            return Response(reply.code, reply.headers, reply.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs) -> Response:
        return self.request("POST", path, data, **kwargs)

    def csrf_token(self, page: Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token in the page:\n{page.text[:500]}"
        return match.group(1)

    def submit(self, page_path: str, fields: dict[str, str], action: str | None = None) -> Response:
        """GET the page with the form, then POST the form with that page's CSRF token."""
        page = self.get(page_path)
        assert page.status == 200, f"GET {page_path}: {page.status}"
        data = {"csrfmiddlewaretoken": self.csrf_token(page), **fields}
        return self.post(action or page_path, data, referer=page_path)


__all__ = ["Browser", "FreshDatabase", "Server", "run_command", "wait_for"]
