"""Statements (privacy, terms, accessibility, contact), the favicon, the footer and the home
page that shows what is happening."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import CaseStudy
from issues.models import IssueStatus
from matching.events.models import Event, EventStatus, EventTheme
from portal.statements.views import ACCESSIBILITY_TEST, PUBLIC_PAGES
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.public_world import INTERNAL, public_world
from tests.security.access_table import ACCESS

pytestmark = pytest.mark.django_db

STATEMENTS = ["portal:privacy", "portal:terms", "portal:accessibility", "portal:contact"]
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"


def _english(client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", STATEMENTS)
def test_statements_render_for_anyone_in_both_languages(client, name, language):
    if language == "en":
        _english(client)
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200 and f'<html lang="{language}">' in html
    assert "<h1>" in html


def test_every_page_links_the_statements_from_its_footer(client):
    html = client.get(reverse("issues:public")).content.decode()
    footer = html[html.index('<footer class="site-footer"') :]
    for name in STATEMENTS:
        assert f'href="{reverse(name)}"' in footer


def test_accessibility_statement_states_target_method_date_and_limits(client):
    html = client.get(reverse("portal:accessibility")).content.decode()
    assert "JIS X 8341-3:2016" in html and "レベルAA" in html
    assert ACCESSIBILITY_TEST.tool in html
    assert "390 × 844" in html
    tested = ACCESSIBILITY_TEST.tested_on
    assert f"{tested.year}年{tested.month}月{tested.day}日" in html
    assert "わかっている制約" in html


def test_the_statement_names_the_axe_version_the_tests_run():
    header = AXE.read_text(encoding="utf-8")[:200]
    version = re.search(r"axe v(\d+\.\d+\.\d+)", header)
    assert version and ACCESSIBILITY_TEST.tool == f"axe-core {version.group(1)}"


def test_the_statement_covers_every_public_page():
    """Every public route that answers an HTML page is in the statement's list (and so in the
    browser test); the others are files, feeds, form posts or redirects."""
    not_pages = {
        "evaluation:device_measurements",  # JSON API
        "evaluation:public_report_download",  # PDF / CSV file
        "matching:event_ics",  # calendar file
        "portal:favicon",
        "portal:health",  # JSON
        "portal:logout",  # POST, redirects
        "portal:faq_ask",  # HTMX answer inside the help box of every page
        "portal:consultation_thanks",  # shown after a consultation is sent
        "partners:register_done",  # shown after a registration is sent
        "partners:password_set",  # a signed, expiring link from a mail
        "partners:join",  # a signed, expiring link from a mail
        "matching:proposal_link",  # a signed, expiring link from a mail
        "matching:invitation_link",  # a signed, expiring link from a mail
        "portal:password_reset_confirm",  # a signed, expiring link from a mail
        "evaluation:questionnaire_answer",  # a signed, single-use link from a mail
        "matching:event_seat",  # a resident's signed link from the confirmation mail
        "matching:event_seat_ics",  # calendar file behind that link
        "portal:advice_booking",  # a booking's signed link from the confirmation mail
        "evaluation:questionnaire_public",  # a signed link from a QR code
        "portal:password_reset_done",  # shown after a reset is asked for
        "portal:password_reset_complete",  # shown after a new password is set
    }
    public_routes = {name for name, who in ACCESS.items() if who == "public"}
    covered = {name for name, _label in PUBLIC_PAGES}
    assert public_routes - not_pages - covered == set()
    assert covered - public_routes == set()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_public_page_renders_for_anyone_without_internal_data(client, language):
    args = public_world()
    if language == "en":
        _english(client)
    for url_name, _label in PUBLIC_PAGES:
        response = client.get(reverse(url_name, args=args.get(url_name, [])))
        html = response.content.decode()
        assert response.status_code == 200, url_name
        assert f'<html lang="{language}">' in html, url_name
        assert INTERNAL not in html, url_name


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert 'rel="icon"' in client.get(reverse("portal:home")).content.decode()


def _happening():
    issue = IssueFactory(title="募集中の見守り課題", status=IssueStatus.OPEN)
    IssueFactory(status=IssueStatus.COLLABORATING)
    IssueFactory(title="下書きの課題", status=IssueStatus.DRAFT)
    now = timezone.now()
    Event.objects.create(
        title="公開の交流会",
        theme=EventTheme.objects.order_by("pk").first(),
        capacity=30,
        public=True,
        status=EventStatus.OPEN,
        starts_at=now + datetime.timedelta(days=3),
        ends_at=now + datetime.timedelta(days=3, hours=2),
        registration_deadline=now + datetime.timedelta(days=2),
    )
    project = ProjectFactory()
    project.issues.add(issue)
    CaseStudy.objects.create(
        project=project, kind="best", title="公開した事例", summary="…", published=True
    )
    return issue


@pytest.mark.parametrize("language", ["ja", "en"])
def test_home_shows_what_is_happening(client, language):
    issue = _happening()
    if language == "en":
        _english(client)
    html = client.get(reverse("portal:home")).content.decode()
    assert f'href="/issues/public/13101/{issue.pk}/"' in html and "募集中の見守り課題" in html
    assert "下書きの課題" not in html
    assert "公開の交流会" in html and "公開した事例" in html
    if language == "ja":
        assert "1件の課題が連携を募集中" in html


def test_home_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    _happening()
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("portal:home"))
    for _ in range(10):
        _happening()
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("portal:home"))
