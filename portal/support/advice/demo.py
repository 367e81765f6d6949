"""Demo advice sessions (個別相談会): slots over the coming three weeks for each coordinator's
ward, a few booked by demo consultation requests. Idempotent for a given day."""

from __future__ import annotations

import datetime

from django.utils import timezone

from portal.registry import DemoContext

# (days ahead, hour, online?) for each coordinator's slots.
PATTERN = [(2, 10, False), (6, 14, True), (9, 10, False), (15, 14, False), (20, 16, True)]
BOOKERS = [
    ("森田 和子", "あおば町会", "morita@example.jp", "町会の防災訓練に企業の協力を得たい。"),
    (
        "Tran Thi Mai",
        "",
        "mai.tran@example.com",
        "I would like to start a language café with a university.",
    ),
    ("大野 健一", "大野製作所", "", "工場の空きスペースを子ども向けの教室に使ってほしい。"),
]


def load(ctx: DemoContext) -> None:
    from portal.models import (
        AdviceBooking,
        AdviceFormat,
        AdviceSlot,
        ConsultationRequest,
        ConsultationTopic,
        Role,
        User,
    )

    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    coordinators = list(
        User.objects.filter(role=Role.COORDINATOR, ward__isnull=False).order_by("username")
    )
    slots: list[AdviceSlot] = []
    for coordinator in coordinators:
        for days, hour, online in PATTERN:
            day = today + datetime.timedelta(days=days)
            slot, _created = AdviceSlot.objects.get_or_create(
                ward=coordinator.ward,
                coordinator=coordinator,
                starts_at=datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz),
                defaults={
                    "duration_minutes": 60,
                    "format": AdviceFormat.ONLINE if online else AdviceFormat.ON_SITE,
                    "place": "" if online else "区役所本庁舎 3階 地域連携相談室",
                    "meeting_url": "https://meet.example.jp/advice" if online else "",
                },
            )
            slots.append(slot)
    for slot, (name, organization, email, message) in zip(slots[::4], BOOKERS, strict=False):
        consultation, _created = ConsultationRequest.objects.get_or_create(
            name=name,
            message=message,
            defaults={
                "organization": organization,
                "email": email,
                "phone": "" if email else "03-5555-0199",
                "topic": ConsultationTopic.START,
                "ward": slot.ward,
                "assigned_to": slot.coordinator,
                "language": "en" if email.endswith(".com") else "ja",
            },
        )
        if (
            not AdviceBooking.objects.filter(
                cancelled_at__isnull=True, consultation=consultation
            ).exists()
            and not slot.bookings.filter(cancelled_at__isnull=True).exists()
        ):
            AdviceBooking.objects.create(slot=slot, consultation=consultation)
    ctx.log(f"  advice sessions: {AdviceSlot.objects.count()} slots")
