"""The device / app feed: a token-authenticated JSON endpoint that posts a project's measurements.

Everything it accepts is bounded before it is parsed or stored: the body's size, the JSON's
nesting, the number of rows, each field's JSON type (FIELD_TYPES), each row's text
(portal-wide rules in measurement_validate). A
batch over a limit is refused whole with a JSON error that names the limit — never cut short.
Replays store nothing twice: a request carrying an ``Idempotency-Key`` header is answered, when
repeated, with the first answer (portal.once); without a key, rows identical to ones this feed's
source already stored are counted as duplicates and not stored again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.measurements import measurements_record_batch
from evaluation.models import DeviceFeed, FeedDelivery, FeedInterval, MeasurementSource
from matching.models import Project
from portal.models import SubmissionReceipt
from portal.once import KEY_MAX_LENGTH, AlreadySubmitted, receipt_claim, receipt_complete
from portal.tabular import Refusal, refusals_worded

FEED_MAX_BYTES = 256 * 1024
FEED_MAX_ROWS = 1000
# {"measurements": [{...}]} is three levels deep; eight leaves room and stops a parser bomb.
FEED_MAX_DEPTH = 8


# The JSON type each field of a row must have (the feed's contract with the device): a row's
# value is never turned into text with str(), which would store "['a']" or "{'a': 1}".
# `value` may also be a numeric string ("3900.5"; value_parse reads it) or null (no number).
FIELD_TYPES: dict[str, tuple[tuple[type, ...], Any]] = {
    "indicator": ((int, str), gettext_lazy("指標のID（整数）か指標名（文字列）")),
    "date": ((str,), gettext_lazy("文字列（YYYY-MM-DD）")),
    "value": ((int, float, str, type(None)), gettext_lazy("数値")),
    "text": ((str, type(None)), gettext_lazy("文字列")),
}
JSON_TYPE_NAMES = {
    bool: gettext_lazy("真偽値"),
    int: gettext_lazy("数値"),
    float: gettext_lazy("数値"),
    str: gettext_lazy("文字列"),
    list: gettext_lazy("配列"),
    dict: gettext_lazy("オブジェクト"),
    type(None): "null",
}


@dataclass
class FeedAnswer:
    status: int
    body: dict[str, Any]


def _refusal(status: int, message: str, **limit: int) -> FeedAnswer:
    body: dict[str, Any] = {"ok": False, "errors": [message]}
    if limit:
        body["limit"] = limit
    return FeedAnswer(status=status, body=body)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_feed_create(
    *, project: Project, name: str, interval_hours: int = FeedInterval.DAILY
) -> tuple[DeviceFeed, str]:
    """Returns the feed and its bearer token, shown once (only a hash is kept).

    ``interval_hours`` (1, 6 or 24) is how often the device is expected to send; the
    measurement-system availability KPI counts intervals of that length."""
    token = secrets.token_urlsafe(32)
    feed = DeviceFeed.objects.create(
        project=project,
        name=name,
        token_hash=_token_hash(token),
        token_hint=token[-6:],
        interval_hours=FeedInterval(interval_hours),
    )
    return feed, token


def feed_interval_start(moment: datetime.datetime, hours: int) -> datetime.datetime:
    """The start of the ``hours``-long interval holding ``moment``: intervals start at Tokyo
    midnight and every ``hours`` after it (1, 6 and 24 divide a day, so every 年度 and quarter,
    which start at a Tokyo midnight, begins on an interval boundary)."""
    local = timezone.localtime(moment)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + datetime.timedelta(hours=(local.hour // hours) * hours)


def feed_delivery_record(*, feed: DeviceFeed, at: datetime.datetime | None = None) -> None:
    """That ``feed`` delivered an accepted batch in the interval holding ``at`` (now)."""
    start = feed_interval_start(at or timezone.now(), feed.interval_hours)
    updated = FeedDelivery.objects.filter(feed=feed, interval_start=start).update(
        batches=F("batches") + 1
    )
    if updated:
        return
    try:
        with transaction.atomic():
            FeedDelivery.objects.create(feed=feed, interval_start=start)
    except IntegrityError:
        # Two batches of the same interval raced on its first delivery: one row is enough.
        FeedDelivery.objects.filter(feed=feed, interval_start=start).update(
            batches=F("batches") + 1
        )


def device_feed_authenticate(*, token: str) -> DeviceFeed | None:
    if not token:
        return None
    feed = (
        DeviceFeed.objects.select_related("project")
        .filter(token_hash=_token_hash(token), active=True)
        .first()
    )
    if feed is not None:
        DeviceFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def device_feed_deactivate(*, feed: DeviceFeed) -> None:
    # The moment ends the feed's expected intervals in the availability KPI.
    DeviceFeed.objects.filter(pk=feed.pk, active=True).update(
        active=False, deactivated_at=timezone.now()
    )


def feed_body_too_large(content_length: str | None) -> FeedAnswer | None:
    """Refuse by the announced length, before the body is read into memory."""
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    return _too_large() if length > FEED_MAX_BYTES else None


def _too_large() -> FeedAnswer:
    return _refusal(
        413,
        _("データが大きすぎます（1回の送信は%(kb)sKBまで）。") % {"kb": FEED_MAX_BYTES // 1024},
        bytes=FEED_MAX_BYTES,
    )


def _nesting_exceeds(body: bytes, limit: int) -> bool:
    """True when brackets outside strings nest deeper than ``limit`` (checked before parsing,
    because the JSON parser recurses and a deep enough document crashes it)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _rows(body: bytes) -> list[dict[str, Any]] | FeedAnswer:
    if _nesting_exceeds(body, FEED_MAX_DEPTH):
        return _refusal(
            400,
            _("JSONの入れ子が深すぎます（%(n)s段まで）。") % {"n": FEED_MAX_DEPTH},
            depth=FEED_MAX_DEPTH,
        )
    try:
        payload = json.loads(body or b"null")
        # A \ud800 escape is valid JSON but no text: it would fail when the row is saved.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeDecodeError, UnicodeEncodeError, RecursionError):
        return _refusal(400, _("JSONとして読み取れません。"))
    if isinstance(payload, dict) and "measurements" in payload:
        payload = payload["measurements"]
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(row, dict) for row in payload):
        return _refusal(400, _("測定値の形式が不正です。"))
    if len(payload) > FEED_MAX_ROWS:
        return _refusal(
            413,
            _(
                "一度に送れる測定値は%(limit)s件までです（%(n)s件ありました）。分けて送ってください。"
            )
            % {"limit": f"{FEED_MAX_ROWS:,}", "n": f"{len(payload):,}"},
            rows=FEED_MAX_ROWS,
        )
    return payload


def _type_refusals(rows: list[dict[str, Any]]) -> list[Refusal]:
    """A refusal for each field of each row (numbered from 1) whose JSON type is not the one
    FIELD_TYPES names; true/false is no number, although Python counts bool as an int."""
    refusals: list[Refusal] = []
    for number, row in enumerate(rows, start=1):
        for field, (types, expected) in FIELD_TYPES.items():
            if field not in row:
                continue
            sent = row[field]
            if isinstance(sent, types) and not isinstance(sent, bool):
                continue
            message = _("%(expected)sで送ってください（%(sent)sが送られました）。") % {
                "expected": expected,
                "sent": JSON_TYPE_NAMES.get(type(sent), type(sent).__name__),
            }
            refusals.append((number, field, message))
    return refusals


def feed_receive(*, feed: DeviceFeed, body: bytes, idempotency_key: str = "") -> FeedAnswer:
    """Check and store one POST of ``feed`` (all or nothing); the answer the device gets."""
    if len(body) > FEED_MAX_BYTES:
        return _too_large()
    rows = _rows(body)
    if isinstance(rows, FeedAnswer):
        return rows
    if refusals := _type_refusals(rows):
        return FeedAnswer(
            status=400,
            body={
                "ok": False,
                "errors": refusals_worded(refusals),
                "fields": sorted({field for _number, field, _message in refusals}),
            },
        )
    if len(idempotency_key) > KEY_MAX_LENGTH:
        # Cut, two different keys could meet and a new batch be answered as a replay.
        return _refusal(
            400,
            _("Idempotency-Key は%(n)s文字以内にしてください。") % {"n": KEY_MAX_LENGTH},
            key_length=KEY_MAX_LENGTH,
        )
    # The batch as parsed, in one spelling: the same rows are the same batch however the JSON
    # was spaced or its keys ordered.
    fingerprint = hashlib.sha256(
        json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    # One transaction from the claim to the answer it stores: a concurrent request with the
    # same key waits for it and is answered with the whole first answer, never a bare claim.
    with transaction.atomic():
        try:
            receipt = receipt_claim(
                scope=f"device-feed:{feed.pk}", key=idempotency_key, fingerprint=fingerprint
            )
        except AlreadySubmitted as done:
            return _replay(done.receipt, fingerprint)
        result = measurements_record_batch(
            project=feed.project,
            rows=rows,
            source=MeasurementSource.DEVICE,
            first_row=1,
            skip_stored=True,
        )
        if result.errors:
            # The claim is not kept: the device may correct the batch and send it with the same
            # key.
            if receipt is not None:
                receipt.delete()
            return FeedAnswer(status=400, body={"ok": False, "errors": result.errors})
        body_out = {
            "ok": True,
            "created": [m.pk for m in result.created],
            "duplicates": result.duplicates,
        }
        receipt_complete(receipt, result=body_out)
        feed_delivery_record(feed=feed)
    return FeedAnswer(status=201, body=body_out)


def _replay(receipt: SubmissionReceipt, fingerprint: str) -> FeedAnswer:
    """The answer to a key used before: the first answer when the batch is the same, 422 when
    it is not — reusing a key for other readings silently dropped them (issue #15, fifth
    probe)."""
    if receipt.fingerprint != fingerprint:
        return _refusal(
            422,
            _(
                "この Idempotency-Key は別の内容の送信に使われています。新しい測定値は新しいキーで送ってください。"
            ),
        )
    return FeedAnswer(status=200, body={**(receipt.result or {}), "replayed": True})
