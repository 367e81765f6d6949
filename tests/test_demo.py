"""The demo data `make run` loads, read as a newcomer would: nothing in it is dropped silently
(DESIGN "The borders"; issue #13), and each ward's coordinator has work waiting.

The demo is loaded once for the module, in a transaction rolled back at its end (~3 minutes).
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from issues.models import IssueStatus
from matching import selectors
from matching.demo import KEEP_WAITING
from matching.events.models import EventPair, Invitation, InviteeRole
from matching.models import Candidate, Proposal
from partners.models import ContactPerson, Membership, Organization, Outreach
from portal.models import Role, User

pytestmark = pytest.mark.django_db


SITE_URL = "https://renkei.city.example.lg.jp"


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker, pytestconfig):
    """What load_demo printed."""
    printed = io.StringIO()
    var = pytestconfig.rootpath / "var"
    # TF-IDF only, as every other test ranks, and the files (the published report) where each
    # test finds them (tests/conftest.py sets both per test, not per module).
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(
            TEXT_EMBEDDER="",
            SITE_URL=SITE_URL,
            MEDIA_ROOT=str(var / "test-media"),
            PRIVATE_MEDIA_ROOT=str(var / "test-private"),
        ),
    ):
        call_command("load_demo", verbosity=0, stdout=printed)
        yield printed.getvalue()
        transaction.set_rollback(True)


def test_load_demo_prints_the_portal_address_and_the_accounts(demo):
    assert demo.rstrip().endswith(f"→ {SITE_URL}/")
    assert "127.0.0.1" not in demo
    assert "partner2" in demo


def test_every_coordinator_has_open_issues_with_candidates_to_review():
    for coordinator in User.objects.filter(role=Role.COORDINATOR, ward__isnull=False):
        waiting = Candidate.objects.filter(
            current=True,
            rank=1,
            verdict="",
            issue__status=IssueStatus.OPEN,
            issue__in=selectors.issues_in_scope(coordinator),
        ).count()
        assert waiting >= KEEP_WAITING, (
            f"{coordinator.username} ({coordinator.ward}): {waiting} to review"
        )


def test_every_organisation_proposal_and_invitation_of_the_demo_reaches_a_person():
    with_members = set(Membership.objects.values_list("organization_id", flat=True))
    with_contacts = set(
        ContactPerson.objects.exclude(email="").values_list("organization_id", flat=True)
    )
    organizations = list(Organization.objects.values_list("pk", "name"))
    # A mix: some organisations have portal members, the others are reached by their contacts.
    assert 0 < len(with_members) < len(organizations)
    for pk, name in organizations:
        assert pk in with_contacts, f"{name} has no contact with an address"

    reach = {(o.topic, o.topic_id, o.organization_id): o for o in Outreach.objects.all()}
    # The ward's proposals (a partner's own proposal starts at the organisation: nothing to reach).
    proposals = list(Proposal.objects.filter(origin="ward").values_list("pk", "organization_id"))
    assert proposals
    for pk, org_id in proposals:
        row = reach.get(("proposal", pk, org_id))
        assert row is not None and row.reached, f"proposal {pk} reached no one"
        assert (row.members > 0) == (org_id in with_members)

    pairs = list(EventPair.objects.values_list("event_id", "organization_id").distinct())
    assert pairs
    invited = {
        (event_id, org_id)
        for event_id, org_id in Invitation.objects.filter(role=InviteeRole.PARTNER).values_list(
            "event_id", "organization_id"
        )
    }
    for event_id, org_id in pairs:
        row = reach.get(("event", event_id, org_id))
        assert row is not None and row.reached, f"event {event_id}: organisation {org_id}"
        assert (event_id, org_id) in invited
    for invitation in Invitation.objects.select_related("user", "contact"):
        if invitation.is_resident:  # signed up themselves: their own address or phone
            address = invitation.email or invitation.phone
        else:
            address = invitation.user.email if invitation.user else invitation.contact.email
        assert address, f"invitation {invitation.pk} has no one to reach"


def test_the_public_results_page_offers_the_last_complete_years_published_report(client):
    from evaluation.kpi import kpi_compute
    from portal.fiscal import current_fiscal_year

    fiscal_year = current_fiscal_year() - 1
    page = client.get("/evaluation/public/")
    assert page.status_code == 200
    links = re.findall(r'href="(/evaluation/public/reports/\d+/download/)"', page.content.decode())
    assert links, "no published report to download"
    downloads = [client.get(link) for link in links]
    csv = next(d for d in downloads if d["Content-Type"].startswith("text/csv"))
    assert str(fiscal_year) in b"".join(csv.streaming_content).decode("utf-8-sig")
    assert kpi_compute("reports_published", fiscal_year).value == 1
