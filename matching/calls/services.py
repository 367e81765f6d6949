"""Publishing an issue as an open call (募集) to partners."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from issues.models import Issue, IssueStatus
from issues.services import issue_status_change
from matching.calls.models import OpenCall
from matching.models import Candidate, Decision
from matching.notices import people_notify
from matching.permissions import can_publish_call
from partners.reach.services import organization_members
from portal.history import history_stamp
from portal.localtext import LocalText
from portal.models import NoticeKind, User

PUBLISHABLE = (IssueStatus.REVIEWING, IssueStatus.OPEN)


def open_call_publish(
    *, issue: Issue, user: User, deadline: datetime.date, criteria: str
) -> OpenCall:
    """Publish the issue as an open call, or change its deadline and criteria.

    A 精査中 issue becomes 募集中 through the issues workflow. The first publication tells the
    members of the organisations whose resources the engine currently ranks for the issue.
    Raises PermissionDenied unless the user may decide the issue's candidates, and
    ValidationError (nothing changed) for a deadline before today (Tokyo), empty criteria, or an
    issue that is neither 精査中 nor 募集中.
    """
    if not can_publish_call(user, issue):
        raise PermissionDenied
    criteria = criteria.strip()
    if not criteria:
        raise ValidationError({"criteria": _("選考基準を入力してください。")})
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": _("締切日は今日以降の日付にしてください。")})
    if issue.status not in PUBLISHABLE:
        raise ValidationError(
            _("募集できるのは「精査中」か「募集中」の課題です（現在は「%(status)s」）。")
            % {"status": issue.get_status_display()}
        )
    with transaction.atomic():
        if issue.status != IssueStatus.OPEN:
            moved = issue_status_change(issue=issue, status=IssueStatus.OPEN, changed_by=user)
            issue.status, issue.version = moved.status, moved.version
        call = OpenCall.objects.select_for_update().filter(issue=issue).first()
        first = call is None
        if call is None:
            call = OpenCall(issue=issue, published_by=user)
        call.deadline, call.criteria = deadline, criteria
        history_stamp(call, user)
        call.save()
        if first:
            ranked = Candidate.objects.filter(issue=issue, current=True).exclude(
                verdict=Decision.Verdict.REJECTED
            )
            people_notify(
                recipients=organization_members(
                    ranked.values_list("resource__organization_id", flat=True)
                ),
                message=LocalText(
                    gettext_noop(
                        "貴団体のリソースに合う課題の募集が始まりました: %(issue)s（締切 %(deadline)s）"
                    ),
                    {"issue": issue.title, "deadline": f"{deadline:%Y-%m-%d}"},
                ),
                path=reverse("matching:partner_issue", args=[issue.pk]),
                kind=NoticeKind.PROPOSAL,
            )
    return call
