"""Production mode, end to end, the way docker-compose runs the portal (without Docker).

Docker cannot build or run images on the project's machines, so this test runs the same
commands the image and docker-compose.yml run, read from those files: the Dockerfile's
collectstatic, `migrate`, gunicorn, a Celery worker and Celery beat, with DJANGO_ENV=production
on a fresh PostgreSQL database and a private Redis. Then it uses the site as people do, over
HTTP behind what the TLS proxy would send: every role signs in and sees its dashboard, a
coordinator runs the matching, an evaluator has the worker build the annual report PDF and
downloads it, pages load their hashed static files, and /health/ reports everything up.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from portal.management.commands.load_demo import DEMO_PASSWORD
from portal.models import Role
from tests.faults.harness import PrivateRedis, free_port, wait_for
from tests.production.harness import (
    COMPOSE_FILE,
    ROOT,
    Browser,
    FreshDatabase,
    Response,
    Server,
    compose_command,
    dockerfile_collectstatic,
    local_argv,
    run_command,
    server_url_from_settings,
)

pytestmark = pytest.mark.production

# The site's public name; gunicorn is reached on 127.0.0.1 through it, as behind the proxy.
SITE = "renkei.example.city.tokyo.jp"
# Deadlines, not delays: CI shares its 2 cores with other work.
COMMAND_TIMEOUT = 15 * 60
READY_TIMEOUT = 3 * 60
TASK_TIMEOUT = 10 * 60
# Settings the server processes must read from this test only, not from the test run's env.
OWN_SETTINGS = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMAIL_", "MATCHING_", "SESSION_")


def _production_env(*, database_url: str, redis: PrivateRedis, workdir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(OWN_SETTINGS) or key == "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=SITE,
        DATABASE_URL=database_url,
        # The same split as docker-compose: cache on db 0, broker on db 1 of a Redis of our own.
        REDIS_URL=redis.url(0),
        CELERY_BROKER_URL=redis.url(1),
        DJANGO_MEDIA_ROOT=str(workdir / "media"),  # the worker writes reports the web serves
        DJANGO_STATIC_ROOT=str(workdir / "staticfiles"),
        # Production mails through SMTP; a port nobody listens on keeps notices on this machine.
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(free_port()),
        # gunicorn's control socket goes here rather than to a path shared with other runs.
        XDG_RUNTIME_DIR=str(workdir),
    )
    return env


def _compose_environment() -> dict[str, str]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    return {key: str(value) for key, value in compose["services"]["web"]["environment"].items()}


def _sign_in(base: str, username: str) -> Browser:
    browser = Browser(base, host=SITE)
    reply = browser.submit("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert reply.status == 302, f"{username} could not sign in ({reply.status}):\n{reply.text}"
    assert reply.headers["Location"] == "/dashboard/"
    return browser


def _health(base: str) -> dict[str, str]:
    try:
        reply = Browser(base, host=SITE).get("/health/")
    except OSError as exc:  # gunicorn not listening yet
        return {"http": str(exc)}
    return json.loads(reply.body) if reply.status in (200, 503) else {"http": str(reply.status)}


def _poll(browser: Browser, path: str, *, done: str, failed: str, what: str) -> Response:
    def finished() -> Response | None:
        page = browser.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        assert failed not in page.text, f"{what} failed:\n{page.text}"
        return page if done in page.text else None

    return wait_for(finished, timeout=TASK_TIMEOUT, interval=1.0, what=what)


def test_production_deployment_serves_every_role_and_runs_its_background_work(
    production_services, tmp_path
):
    timings: dict[str, float] = {}
    started = time.monotonic()

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - started - sum(timings.values()), 1)

    assert _compose_environment()["DJANGO_ENV"] == "production"
    redis = PrivateRedis(tmp_path)
    database = FreshDatabase(server_url_from_settings())
    servers: list[Server] = []
    redis.start()
    database.create()
    try:
        env = _production_env(database_url=database.url, redis=redis, workdir=tmp_path)

        # --- what `docker compose up` does before serving: the image's collectstatic (run at
        # build time, with no database or broker), the checks, the `migrate` service.
        run_command(local_argv(compose_command("migrate")), env=env, timeout=COMMAND_TIMEOUT)
        lap("migrate")
        # The demo data loads while the static files are collected and the settings checked.
        demo = Server(
            "load_demo", local_argv(["python", "manage.py", "load_demo"]), env=env, workdir=tmp_path
        )
        servers.append(demo.start())
        build_env, collectstatic = dockerfile_collectstatic()
        assert collectstatic[1:] == ["manage.py", "collectstatic", "--no-input"]
        # The image is built with no database or broker to reach.
        build = {
            key: value
            for key, value in env.items()
            if not key.startswith(("DATABASE_", "REDIS_", "CELERY_"))
        }
        build.update(build_env, DJANGO_STATIC_ROOT=env["DJANGO_STATIC_ROOT"])
        run_command(local_argv(collectstatic), env=build, timeout=COMMAND_TIMEOUT)
        assert (tmp_path / "staticfiles" / "staticfiles.json").is_file()
        checked = run_command(
            local_argv(["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]),
            env=env,
            timeout=COMMAND_TIMEOUT,
        )
        assert "no issues" in checked, checked
        assert demo.process is not None
        assert demo.process.wait(timeout=COMMAND_TIMEOUT) == 0, demo.log_tail()
        lap("collectstatic, check --deploy, load_demo")

        # --- the long-running services, each with docker-compose's command.
        port = free_port()
        web = Server(
            "web",
            local_argv(compose_command("web"), {"0.0.0.0:8000": f"127.0.0.1:{port}"}),
            env=env,
            workdir=tmp_path,
        )
        worker = Server("worker", local_argv(compose_command("worker")), env=env, workdir=tmp_path)
        beat = Server(
            "beat",
            local_argv(
                compose_command("beat"),
                {"/app/var/celerybeat-schedule": str(tmp_path / "celerybeat-schedule")},
            ),
            env=env,
            workdir=tmp_path,
        )
        for server in (web, worker, beat):
            servers.append(server.start())
        base = f"http://127.0.0.1:{port}"

        def all_up() -> bool:
            for server in (web, worker, beat):
                server.alive()  # an early exit fails at once, with its log
            return _health(base) == {"database": "ok", "broker": "ok", "worker": "ok"}

        wait_for(all_up, timeout=READY_TIMEOUT, interval=1.0, what="/health/ all ok")
        wait_for(
            lambda: beat.alive() and "beat: Starting..." in beat.log(),
            timeout=READY_TIMEOUT,
            interval=0.5,
            what="celery beat started",
        )
        lap("web, worker and beat up")

        # --- docker-compose's own health checks pass against these processes.
        web_check = compose_healthcheck("web", port)
        run_command(web_check, env=env, timeout=60)
        run_command(worker_healthcheck(), env=env, timeout=60)

        # --- HTTPS only: plain HTTP is sent to HTTPS, and HTTPS answers carry HSTS.
        plain = Browser(base, host=SITE).get("/", proxied=False)
        assert plain.status == 301
        assert plain.headers["Location"] == f"https://{SITE}/"
        home = Browser(base, host=SITE).get("/")
        assert home.status == 200
        assert "max-age=31536000" in home.headers["Strict-Transport-Security"]

        # --- every role signs in and sees its own dashboard.
        browsers = {}
        for username, role in [
            ("coordinator", Role.COORDINATOR),
            ("approver", Role.APPROVER),
            ("evaluator", Role.EVALUATOR),
            ("admin", Role.ADMIN),
            ("partner", Role.PARTNER),
        ]:
            browser = _sign_in(base, username)
            session = next(c for c in browser.cookies if c.name == "sessionid")
            assert session.secure, "the session cookie must be HTTPS-only"
            dashboard = browser.get("/dashboard/")
            assert dashboard.status == 200, f"{username}: {dashboard.status}"
            assert f"（{role.label}）" in dashboard.text  # the header names who is signed in
            browsers[username] = browser
        lap("five roles signed in")

        # --- pages load hashed static files, served with a cache of a year.
        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', dashboard.text)
        assert stylesheet, "the page does not link the hashed stylesheet"
        css = browsers["admin"].get(stylesheet.group(1))
        assert css.status == 200
        assert b"{" in css.body
        max_age = re.search(r"max-age=(\d+)", css.headers["Cache-Control"])
        assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600, css.headers["Cache-Control"]

        # --- a coordinator runs the full matching; the worker completes it.
        coordinator = browsers["coordinator"]
        start = coordinator.submit("/matching/", {}, action="/matching/runs/start/")
        assert start.status == 302, start.text
        run_page = start.headers["Location"]
        assert re.fullmatch(r"/matching/runs/\d+/", run_page), run_page
        finished = _poll(
            coordinator,
            run_page,
            done="status--succeeded",
            failed="status--failed",
            what="the matching run",
        )
        chunks = re.search(r"(\d+) / (\d+) チャンク完了", finished.text)
        assert chunks and chunks.group(1) == chunks.group(2) != "0", chunks
        updated = re.search(r"(\d+) 件の候補を更新しました", finished.text)
        assert updated and int(updated.group(1)) > 0, "the run found no candidates"
        assert 'href="/matching/issues/' in finished.text  # the best pairs, linked for review
        lap("matching run through the worker")

        # --- an evaluator has the annual report PDF built by the worker and downloads it.
        from portal.fiscal import current_fiscal_year, fiscal_year_label

        evaluator = browsers["evaluator"]
        fiscal_year = str(current_fiscal_year() - 1)  # the last complete 年度 of the demo data
        queued = evaluator.submit(
            "/evaluation/reports/",
            {"fiscal_year": fiscal_year, "quarter": "", "format": "pdf", "ward": ""},
        )
        assert queued.status == 302, queued.text
        report = re.fullmatch(r"/evaluation/reports/#report-(\d+)", queued.headers["Location"])
        assert report, queued.headers["Location"]
        # The report's row shows a download link when done, its error in <small> when failed.
        _poll(
            evaluator,
            f"/evaluation/reports/{report.group(1)}/",
            done="/download/",
            failed="<small>",
            what="the report build",
        )
        pdf = evaluator.get(f"/evaluation/reports/{report.group(1)}/download/")
        assert pdf.status == 200
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.body.startswith(b"%PDF")
        text = _pdf_text(pdf.body)
        assert "評価報告書" in text
        assert fiscal_year_label(int(fiscal_year)) in text  # 「2025年度（令和7年度）」
        lap("annual report PDF through the worker")

        # --- still healthy after the work, and beat has stayed up all along.
        assert _health(base) == {"database": "ok", "broker": "ok", "worker": "ok"}
        for server in (web, worker, beat):
            server.alive()
        assert "ERROR" not in beat.log(), beat.log_tail()
    finally:
        for server in reversed(servers):
            server.stop()
        redis.stop()
        database.drop()
        lap("stop")
        print("timings (s):", timings)
        for server in servers:
            print(f"--- {server.name} log (tail)\n{server.log_tail(30)}")


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def compose_healthcheck(service: str, port: int) -> list[str]:
    """docker-compose's healthcheck of `service`, pointed at this test's gunicorn."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    test = compose["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD", test
    return local_argv([word.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for word in test[1:]])


def worker_healthcheck() -> list[str]:
    """The worker's healthcheck ping (without its `|| kill -TERM 1`, which ends the container)."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    test = compose["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL", test
    ping = test[1].split("||")[0].replace("$$HOSTNAME", socket.gethostname())
    return local_argv(ping.split())


def test_docker_compose_file_is_valid_without_a_docker_engine(tmp_path):
    """`config` needs only the client; the image build and `up` need an engine (not here)."""
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        command = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]
    else:
        pytest.skip("no docker compose client on this machine")
    (tmp_path / ".env").write_text(
        "POSTGRES_PASSWORD=example\nDJANGO_SECRET_KEY=example\nDJANGO_ALLOWED_HOSTS=example.jp\n"
    )
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--project-directory", str(tmp_path), "config"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for service in ("migrate", "web", "worker", "beat"):
        assert resolved["services"][service]["environment"]["DJANGO_ENV"] == "production"
