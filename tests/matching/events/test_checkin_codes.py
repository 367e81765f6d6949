"""The check-in desk reads a code however it was typed (issue #15 item 3)."""

from __future__ import annotations

import datetime
import unicodedata

from django.urls import reverse
from django.utils import timezone

from matching.events import services as event_services
from matching.events.models import Event, Invitation
from tests.matching.events.test_lifecycle import _event_data


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_a_code_typed_in_full_width_lower_case_with_a_dash_checks_in(
    client, coordinator, partner_a
):
    event = event_services.event_create(created_by=coordinator, data=_event_data())
    invitation = event_services.invitation_register(
        invitation=Invitation.objects.create(event=event, user=partner_a, role="partner")
    )
    code = invitation.checkin_code
    # The desk takes codes on the event's day only: the event is under way.
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - datetime.timedelta(minutes=5), ends_at=now + datetime.timedelta(hours=2)
    )
    typed = _full_width(code[:4].lower()) + "－" + code[4:]
    assert unicodedata.normalize("NFKC", typed) != code  # really another spelling

    client.force_login(coordinator)
    response = client.post(
        reverse("matching:event_checkin", args=[event.pk]),
        {"code": typed},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert Invitation.objects.get(pk=invitation.pk).checked_in_at is not None
