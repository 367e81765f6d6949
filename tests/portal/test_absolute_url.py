"""Links in mails are absolute, built from SITE_URL (a mail has no request to take a host from)."""

from __future__ import annotations

from portal.mail import absolute_url


def test_absolute_url_joins_site_url_and_path(settings):
    settings.SITE_URL = "https://renkei.example.city.tokyo.jp"
    assert absolute_url("/matching/partner/proposals/99/") == (
        "https://renkei.example.city.tokyo.jp/matching/partner/proposals/99/"
    )
    assert absolute_url("issues/") == "https://renkei.example.city.tokyo.jp/issues/"
