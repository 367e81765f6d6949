"""Dates at the edges of a Tokyo day and of a 年度, with the clock moved (time-machine).

Between 00:00 and 09:00 JST the UTC date is still yesterday. Every date a person sees — a
deadline, a reminder, the 年度 a record counts in — is the Tokyo date. Each test stands on
both sides of a boundary that UTC and Tokyo disagree on: 31 March 23:59 JST / 1 April 00:00
JST (14:59 / 15:00 UTC on 31 March).
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from issues.models import Issue, IssueStatus
from issues.selectors import caseload_by_coordinator
from matching.events.models import Event, EventTheme
from matching.events.selectors import event_figures
from matching.models import Decision, Proposal
from matching.proposals.services import proposal_create, proposal_respond, proposals_expire
from portal import fiscal
from portal.coordinators.services import coordination_figures
from portal.models import ConsultationRequest
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
LAST_MINUTE_FY2026 = datetime.datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO)
FIRST_MINUTE_FY2027 = datetime.datetime(2027, 4, 1, 0, 0, tzinfo=TOKYO)
HALF_PAST_MIDNIGHT = datetime.datetime(2026, 12, 2, 0, 30, tzinfo=TOKYO)  # 1 Dec in UTC


def test_the_current_fiscal_year_turns_at_tokyo_midnight():
    with time_machine.travel(LAST_MINUTE_FY2026, tick=False):
        assert fiscal.current_fiscal_year() == 2026
    with time_machine.travel(FIRST_MINUTE_FY2027, tick=False):
        # Still 31 March in UTC: a UTC date would say 2026.
        assert fiscal.current_fiscal_year() == 2027


def _proposal(org_resource, deadline=None) -> Proposal:
    decision = Decision.objects.create(
        issue=IssueFactory(status=IssueStatus.OPEN), resource=org_resource, verdict="approved"
    )
    return proposal_create(decision=decision, created_by=None, deadline=deadline)


def test_a_proposal_made_after_midnight_in_tokyo_gets_fourteen_tokyo_days(org_a):
    with time_machine.travel(HALF_PAST_MIDNIGHT, tick=False):
        proposal = _proposal(ResourceFactory(organization=org_a))
    assert proposal.deadline == datetime.date(2026, 12, 16)
    assert timezone.localtime(proposal.created_at).date() == datetime.date(2026, 12, 2)


def test_a_deadline_of_31_march_expires_at_tokyo_midnight(org_a):
    resource = ResourceFactory(organization=org_a)
    proposal = _proposal(resource, deadline=datetime.date(2027, 3, 31))
    with time_machine.travel(LAST_MINUTE_FY2026, tick=False):
        assert proposals_expire()["expired"] == 0
    with time_machine.travel(FIRST_MINUTE_FY2027, tick=False):
        assert proposals_expire()["expired"] == 1
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EXPIRED


def test_a_partner_can_answer_until_the_last_tokyo_minute_of_the_deadline(org_a, partner_a):
    resource = ResourceFactory(organization=org_a)
    on_time = _proposal(resource, deadline=datetime.date(2027, 3, 31))
    late = _proposal(resource, deadline=datetime.date(2027, 3, 31))
    with time_machine.travel(LAST_MINUTE_FY2026, tick=False):
        answered = proposal_respond(proposal=on_time, user=partner_a, accept=True)
    assert answered.status == Proposal.Status.ACCEPTED
    # The project it opens starts on the Tokyo date of the answer, in 年度2026.
    assert answered.project.start_date == datetime.date(2027, 3, 31)
    with time_machine.travel(FIRST_MINUTE_FY2027, tick=False), pytest.raises(ValidationError):
        proposal_respond(proposal=late, user=partner_a, accept=True)


def test_a_proposal_reminder_goes_three_tokyo_days_before_the_deadline(org_a):
    proposal = _proposal(ResourceFactory(organization=org_a), deadline=datetime.date(2027, 4, 4))
    with time_machine.travel(LAST_MINUTE_FY2026, tick=False):
        assert proposals_expire()["reminded"] == 0  # 4 Tokyo days before (3 in UTC)
    with time_machine.travel(FIRST_MINUTE_FY2027, tick=False):
        assert proposals_expire()["reminded"] == 1
    proposal.refresh_from_db()
    assert proposal.reminded_at is not None


def test_an_issue_resolved_at_the_boundary_counts_in_the_tokyo_fiscal_year(coordinator):
    before = IssueFactory(coordinator=coordinator, status=IssueStatus.RESOLVED)
    after = IssueFactory(coordinator=coordinator, status=IssueStatus.RESOLVED)
    Issue.objects.filter(pk=before.pk).update(status_changed_at=LAST_MINUTE_FY2026)
    Issue.objects.filter(pk=after.pk).update(status_changed_at=FIRST_MINUTE_FY2027)
    assert caseload_by_coordinator([coordinator.pk], 2026)[coordinator.pk]["resolved_year"] == 1
    assert caseload_by_coordinator([coordinator.pk], 2027)[coordinator.pk]["resolved_year"] == 1


def test_a_consultation_received_at_the_boundary_counts_in_the_tokyo_fiscal_year():
    for moment in (LAST_MINUTE_FY2026, FIRST_MINUTE_FY2027, FIRST_MINUTE_FY2027):
        request = ConsultationRequest.objects.create(name="区民", topic="other", message="相談")
        ConsultationRequest.objects.filter(pk=request.pk).update(created_at=moment)
    assert coordination_figures(fiscal_year=2026)["consultations"] == 1
    assert coordination_figures(fiscal_year=2027)["consultations"] == 2


def test_events_per_month_counts_tokyo_months_of_the_new_fiscal_year():
    theme, _ = EventTheme.objects.get_or_create(name="DX")
    for start in (LAST_MINUTE_FY2026, FIRST_MINUTE_FY2027):
        Event.objects.create(
            title="ピッチ会",
            theme=theme,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
            capacity=10,
            registration_deadline=start - datetime.timedelta(days=1),
        )
    with time_machine.travel(FIRST_MINUTE_FY2027 + datetime.timedelta(minutes=30), tick=False):
        figures = event_figures(fiscal_year=2027)
        assert figures["events"] == 1
        assert figures["events_per_month"] == 1.0  # April is the 1st month elapsed, not 0
        assert event_figures(fiscal_year=2026)["events"] == 1


def test_a_report_made_after_midnight_is_dated_with_the_tokyo_date():
    from evaluation.report import report_context

    with time_machine.travel(HALF_PAST_MIDNIGHT, tick=False):
        context = report_context(fiscal_year=2026)
    assert context["created_on"] == "令和8年12月2日（水）"
