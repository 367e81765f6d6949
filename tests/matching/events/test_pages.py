"""Every event screen renders for the roles that use it."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from matching.events import services as event_services
from matching.events.models import EventTheme, Invitation


def test_event_screens_render(client, coordinator, admin_user, partner_a):
    start = timezone.now() + datetime.timedelta(days=5)
    event = event_services.event_create(
        created_by=coordinator,
        data={
            "title": "子育て支援マッチングカフェ",
            "theme": EventTheme.objects.get(name="子育て"),
            "format": "hybrid",
            "venue": "区民センター",
            "meeting_url": "https://meet.example.jp/k",
            "starts_at": start,
            "ends_at": start + datetime.timedelta(hours=2),
            "capacity": 10,
            "registration_deadline": start - datetime.timedelta(days=1),
            "public": True,
        },
    )
    event_services.invitation_register(
        invitation=Invitation.objects.create(event=event, user=partner_a, role="partner")
    )
    client.force_login(coordinator)
    for url in [
        reverse("matching:event_list"),
        reverse("matching:event_list") + "?view=month",
        reverse("matching:event_list") + "?when=past",
        reverse("matching:event_create"),
        reverse("matching:event_detail", args=[event.pk]),
        reverse("matching:event_edit", args=[event.pk]),
        reverse("matching:event_programme", args=[event.pk]),
        reverse("matching:event_checkin", args=[event.pk]),
        reverse("matching:event_close", args=[event.pk]),
        reverse("matching:event_themes"),
        reverse("matching:event_my_invitations"),
        reverse("matching:external_support_list"),
        reverse("matching:budget_list"),
        reverse("portal:dashboard"),
    ]:
        assert client.get(url).status_code == 200, url
    # An edit through the screen keeps the version check.
    response = client.post(
        reverse("matching:event_edit", args=[event.pk]),
        {
            "title": "子育て支援マッチングカフェ（第2回）",
            "theme": event.theme_id,
            "format": "hybrid",
            "venue": "区民センター",
            "meeting_url": "https://meet.example.jp/k",
            "starts_at": timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 10,
            "registration_deadline": timezone.localtime(event.registration_deadline).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "public": "on",
            "version": 1,
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.version) == ("子育て支援マッチングカフェ（第2回）", 2)
    client.force_login(admin_user)
    assert client.get(reverse("matching:budget_list")).status_code == 200
    client.force_login(partner_a)
    page = client.get(reverse("matching:event_my_invitations")).content.decode()
    assert "子育て支援マッチングカフェ" in page
    assert client.get(reverse("portal:dashboard")).status_code == 200
    client.logout()
    assert client.get(reverse("matching:event_public_detail", args=[event.pk])).status_code == 200
