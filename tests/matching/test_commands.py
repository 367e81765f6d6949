"""The batch interface: run_matching, export_candidates, expire_proposals."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from matching.models import Candidate, MatchRun, Proposal
from matching.proposals.services import proposals_expire
from portal.models import Notification
from tests.matching.factories import matching_world
from tests.partners.factories import partner_user

pytestmark = pytest.mark.django_db


def run_command(capture, *args, stdout=None):
    with capture(execute=True):  # the deferred hook must find nothing left to do
        call_command(*args, stdout=stdout or io.StringIO())


def test_run_matching_all_and_issue(django_capture_on_commit_callbacks):
    issues, _ = matching_world()
    out = io.StringIO()
    run_command(django_capture_on_commit_callbacks, "run_matching", "--all", stdout=out)
    text = out.getvalue()
    run = MatchRun.objects.get()
    assert f"run {run.pk}" in text and "chunks=1/1" in text and "time=" in text
    assert run.status == MatchRun.Status.SUCCEEDED
    out = io.StringIO()
    run_command(
        django_capture_on_commit_callbacks, "run_matching", "--issue", issues[0].ref, stdout=out
    )
    assert "status=succeeded" in out.getvalue()
    assert MatchRun.objects.filter(scope="issue", issue=issues[0]).exists()


def test_run_matching_unknown_issue():
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("run_matching", "--issue", "NOPE-1", stdout=io.StringIO())


def test_export_candidates_neutralises_formulas(tmp_path, django_capture_on_commit_callbacks):
    issues, resources = matching_world(2)
    issues[0].ref = "=HYPERLINK(1)"
    issues[0].save()
    resources[0].ref = "+RES"
    resources[0].save()
    run_command(django_capture_on_commit_callbacks, "run_matching", "--all")
    path = tmp_path / "candidates.csv"
    call_command("export_candidates", str(path), stdout=io.StringIO())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["issue_ref", "resource_ref", "rank", "score", "explanation"]
    assert len(rows) == Candidate.objects.count()
    first = next(r for r in rows if r["issue_ref"].startswith("'"))
    assert first["issue_ref"] == "'=HYPERLINK(1)"
    assert first["resource_ref"] == "'+RES"
    assert "共通する語" in first["explanation"]


def test_expire_and_remind(django_capture_on_commit_callbacks):
    issues, resources = matching_world(2)
    run_command(django_capture_on_commit_callbacks, "run_matching", "--all")
    partner = partner_user(resources[0].organization, "p0")
    today = timezone.localdate()
    overdue = Proposal.objects.create(
        issue=issues[0],
        resource=resources[0],
        organization=resources[0].organization,
        deadline=today - datetime.timedelta(days=1),
    )
    soon = Proposal.objects.create(
        issue=issues[1],
        resource=resources[0],
        organization=resources[0].organization,
        deadline=today + datetime.timedelta(days=3),
    )
    out = io.StringIO()
    call_command("expire_proposals", stdout=out)
    assert "expired=1 reminded=1" in out.getvalue()
    overdue.refresh_from_db()
    soon.refresh_from_db()
    assert overdue.status == Proposal.Status.EXPIRED
    assert soon.status == Proposal.Status.SENT and soon.reminded_at
    assert Notification.objects.filter(recipient=partner, message__contains="期限").exists()
    assert proposals_expire() == {"expired": 0, "reminded": 0}  # idempotent
