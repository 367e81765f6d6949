"""Residents' sign-ups for public events, erased after their retention period (portal.retention).

The place itself stays — status, party size, check-in and attendance — so the event's counts
and the participation KPIs do not change; only who the resident was goes.
"""

from __future__ import annotations

from matching.events.models import Invitation
from portal.retention import details_erase, retention_cutoff


def resident_signups_erase() -> int:
    """Erase residents' details at events that ended before the cutoff; returns how many."""
    due = Invitation.objects.filter(
        user__isnull=True,
        contact__isnull=True,
        event__ends_at__lt=retention_cutoff("event_signups"),
    )
    return details_erase(
        due,
        {
            "name": "",
            "email": "",
            "phone": "",
            "email_key": "",
            "phone_key": "",
            "accessibility_needs": "",
        },
    )
