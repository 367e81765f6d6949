"""A form whose CSRF token has gone stale answers with the portal's own 403 page, Japanese first,
with a way back to the page to reload (issue #15, newcomer probe: Django's stock English page)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from issues.models import Issue
from tests.issues.factories import issue_data

pytestmark = pytest.mark.django_db


def test_a_stale_form_gets_the_portals_page_and_a_way_back(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    form_page = "http://testserver" + reverse("issues:create")
    response = client.post(reverse("issues:create"), issue_data(), HTTP_REFERER=form_page)
    page = response.content.decode()
    assert response.status_code == 403
    assert "ページの有効期限が切れました。" in page
    assert "もう一度読み込んでから送信してください。" in page
    assert f'href="{reverse("issues:create")}"' in page
    assert '<html lang="ja">' in page  # the portal's layout, not Django's bare page
    assert "CSRF verification failed" not in page and "Forbidden" not in page
    assert not Issue.objects.exists()


def test_without_a_referring_page_it_leads_home(client):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("portal:login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "ページの有効期限が切れました。" in page and 'href="/"' in page
