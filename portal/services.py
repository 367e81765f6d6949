"""Writes owned by portal: access log, notifications, activity, task dispatch."""

from __future__ import annotations

import csv
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Task
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import IntegrityError, connections, transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.functional import Promise

from portal.choices import DEFAULT_FIELDS
from portal.client import client_ip
from portal.localtext import LocalText
from portal.mail import absolute_url, language_for, mail_template_send
from portal.models import (
    AccessLog,
    DailyActivity,
    Field,
    HealthCheck,
    NoticeKind,
    Notification,
    User,
    Ward,
)

logger = logging.getLogger(__name__)


def _column_fit(field: str, value: str) -> str:
    """``value`` cut to the AccessLog column's size: PostgreSQL refuses a longer one outright,
    and a refused log line would turn a failed login with a 10,000-character name into a 500."""
    size = getattr(AccessLog._meta.get_field(field), "max_length", None)
    return value[:size] if size else value


def access_log_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
    path: str | None = None,
) -> AccessLog:
    """Append one entry; `path` replaces the request's own (to keep a secret out of the log)."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user  # type: ignore[assignment]
    texts = {
        "kind": kind,
        "username": username or (user.get_username() if user else ""),
        "path": path if path is not None else (request.get_full_path() if request else ""),
        "detail": detail,
    }
    return AccessLog.objects.create(
        user=user,
        ip_address=client_ip(request),
        **{name: _column_fit(name, str(value)) for name, value in texts.items()},
    )


def notification_send(
    *,
    recipients: list[User],
    message: str | Promise | LocalText,
    url: str = "",
    email: bool = True,
    kind: str = NoticeKind.GENERAL,
    subject: str | Promise = "",
    lines: Sequence[str | Promise] = (),
) -> None:
    """An in-app notice to each recipient, and the same by e-mail to those with an address who
    take `kind` (a NoticeKind) by mail (User.mail_muted; `email=False` never mails).

    Each recipient reads it in their own language (portal.mail.language_for), not the language
    of whoever caused it: pass `message`, `subject` and `lines` as lazy texts (gettext_lazy,
    portal.mail.later) or `message` as a LocalText, so each is translated per recipient. A
    LocalText `message` is also stored as its msgid and parameters (Notification.text) and shown
    in whatever language the reader later uses, its `message` column the Japanese text; any
    other `message` is stored as the recipient reads it. The mail has a short subject
    (`subject`, else `message`), `message` and any further `lines` (dates, venue…) as text and
    HTML, and `url` (a site path) as an absolute link. The notices are written in the caller's
    transaction; the mail leaves after it commits (portal.mail), so a rolled-back action has
    notified and mailed no one.
    """
    stored = message.stored() if isinstance(message, LocalText) else {}
    notices = []
    for user in recipients:
        with translation.override(language_for(user)):
            shown = message.japanese() if isinstance(message, LocalText) else str(message)
            notices.append(Notification(recipient=user, message=shown[:300], text=stored, url=url))
    Notification.objects.bulk_create(notices)
    if not email:
        return
    for user in recipients:
        if user.email and kind not in (user.mail_muted or []):
            mail_template_send(
                to=user.email,
                template="portal/mail/notice",
                context={
                    "name": str(user),
                    "message": message,
                    "lines": list(lines),
                    "link": absolute_url(url) if url else "",
                },
                subject=subject or message,
                kind=kind,
                recipient=user,
            )


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def activity_record(*, user: User) -> None:
    try:
        with transaction.atomic():
            DailyActivity.objects.get_or_create(user=user, day=timezone.localdate())
    except IntegrityError:
        # Two requests of the same user raced on the first visit of the day: one row is enough.
        pass


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (
        OSError,
        ConnectionError,
        TimeoutError,
        OperationalError,
        RedisConnectionError,
        RedisTimeoutError,
    )


def task_send_or_report(
    task: Task, *, kwargs: dict[str, Any], unreachable: Callable[[], None] | None = None
) -> None:
    """Send `task` to the broker after commit; call `unreachable` (and log) if it cannot be reached.

    For work a person is waiting for on a page (a matching run, an import job): a broker that
    does not answer within ~3 s must not turn the request that queued it into an error page, and
    the page must be able to say what happened. Without a broker the task runs in this process.
    """
    if settings.TASKS_IN_PROCESS:
        if settings.TASKS_IN_PROCESS_BACKGROUND:
            transaction.on_commit(lambda: _after_response(task, kwargs))
        else:
            task_enqueue(task, **kwargs)
        return

    def send() -> None:
        try:
            with task.app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
                task.apply_async(kwargs=kwargs, connection=connection)
        except _broker_errors():
            logger.warning("broker unreachable for %s %s", task.name, kwargs, exc_info=True)
            if unreachable is not None:
                unreachable()

    transaction.on_commit(send)


# Work queued by this thread's request, started once its response has gone (see _after_response).
_request_local = threading.local()


def _after_response(task: Task, kwargs: dict[str, Any]) -> None:
    """Run `task` in this process on a thread of its own, after the current response is sent.

    Why (embedded mode, no broker: `make run`, the dev server is threaded): a task a person
    watches on a progress page (an import, a matching run) ran inside the request that queued
    it, so 「取り込む」 held the browser for the whole import (242 s for 1,600 issue rows) and
    the progress page was never seen while it mattered. On a thread the person lands on the
    progress page at once and its polling shows each phase and the end state.

    Why after the response and not at once: the import holds SQLite's one write lock for its
    whole transaction, and the request that queued it still writes (the session, the access
    log) after the view returns, so it would wait for the import again. Only a request gets a
    thread (started on `request_finished`): anywhere else (a command such as run_matching, a
    shell, a task that queues another from its own thread) the task runs here and now, as
    before, so a command does not exit with its work unfinished and a run's chunks do not
    compete for the write lock.

    Tests run tasks eagerly (TASKS_IN_PROCESS_BACKGROUND off in tests/conftest.py), so they stay
    deterministic; the thread is tested on its own. A thread ended with the process (a dev
    server restart) leaves its job in progress, as a killed worker would.
    """
    waiting = getattr(_request_local, "waiting", None)
    if waiting is None:
        task.apply(kwargs=kwargs, throw=True)
    else:
        waiting.append((task, kwargs))


def _apply_logged(task: Task, kwargs: dict[str, Any]) -> None:
    """Run `task` here after the work that queued it has ended: a failure is logged in full,
    never raised into work that is already over."""
    try:
        task.apply(kwargs=kwargs, throw=True)
    except Exception:
        logger.exception("in-process task %s %s failed", task.name, kwargs)


def _thread_start(task: Task, kwargs: dict[str, Any]) -> None:
    def run() -> None:
        try:
            _apply_logged(task, kwargs)
        finally:
            # A thread's database connections are its own; Django closes only a request's.
            connections.close_all()

    threading.Thread(target=run, name=f"task {task.name}", daemon=True).start()


@receiver(request_started)
def _request_started(**_kwargs: Any) -> None:
    _request_local.waiting = []


@receiver(request_finished)
def _request_finished(**_kwargs: Any) -> None:
    waiting = getattr(_request_local, "waiting", None) or []
    _request_local.waiting = None
    for task, kwargs in waiting:
        _thread_start(task, kwargs)


# Tasks queued in this thread inside tasks_deferred(), run when it ends.
_deferred_local = threading.local()


@contextmanager
def tasks_deferred() -> Iterator[None]:
    """Run the in-process tasks that task_enqueue sends within the block when the block ends.

    Why: with no broker, an import's follow-up work (embedding 1,600 new issues' texts, 48 s
    for 200 on the shared machine) ran on commit inside the import job, which stayed 「書き込み
    中」 until it was done. Around a job's body, the job is marked finished first and the
    follow-up runs after it, as a worker would run it after the job. A task that fails is
    logged, not raised into the job that already ended. With a broker, nothing changes: tasks
    are sent on commit.
    """
    if getattr(_deferred_local, "waiting", None) is not None:
        yield  # nested: the outer block runs them
        return
    _deferred_local.waiting = []
    try:
        yield
    finally:
        waiting, _deferred_local.waiting = _deferred_local.waiting, None
        for task, kwargs in waiting:
            _apply_logged(task, kwargs)


def task_enqueue(task: Task, **kwargs: Any) -> None:
    """Send a Celery task once the current transaction commits.

    With no broker configured (the embedded default) the task runs in this process,
    still after commit (at the end of tasks_deferred() when inside one), so callers behave the
    same in both topologies.
    """

    def send() -> None:
        if not settings.TASKS_IN_PROCESS:
            task.apply_async(kwargs=kwargs)
        elif (waiting := getattr(_deferred_local, "waiting", None)) is not None:
            waiting.append((task, kwargs))
        else:
            task.apply(kwargs=kwargs, throw=True)

    transaction.on_commit(send)


def health_check_record() -> HealthCheck:
    from portal.selectors import health_status

    status = health_status()
    in_process = status["broker"] == "in-process"
    return HealthCheck.objects.create(
        database_ok=status["database"] == "ok",
        broker_ok=in_process or status["broker"] == "ok",
        worker_ok=in_process or status["worker"] == "ok",
    )


WARDS_CSV = Path(__file__).resolve().parent / "data" / "tokyo23_wards.csv"


def reference_data_ensure_loaded() -> int:
    """Loads the 23 wards and the default fields when missing; returns how many rows were added."""
    added = 0
    if not Field.objects.exists():
        for order, (name, name_en) in enumerate(DEFAULT_FIELDS):
            Field.objects.create(name=name, name_en=name_en, order=order)
            added += 1
    if Ward.objects.count() == 23:
        return added
    with WARDS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            _, created = Ward.objects.update_or_create(
                code=row["code"],
                defaults={
                    "code_with_check_digit": row["code_with_check_digit"],
                    "name_ja": row["name_ja"],
                    "name_kana": row["name_kana"],
                    "name_en": row["name_en"],
                },
            )
            added += created
    return added
