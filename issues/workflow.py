"""The status workflow of an issue: which transitions are allowed.

下書き → 精査中 → 募集中 → 連携中 → 解決
any open state → 保留 (on hold) → back to 精査中 / 募集中 / 連携中
下書き・精査中・募集中・保留 → 取下げ (withdrawn) → 下書き (re-opened as a draft)
精査中 → 下書き, 募集中 → 精査中, 連携中 → 募集中 (a step back when more work is needed)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from issues.models import IssueStatus as S

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.REVIEWING, S.ON_HOLD, S.WITHDRAWN),
    S.REVIEWING: (S.OPEN, S.DRAFT, S.ON_HOLD, S.WITHDRAWN),
    S.OPEN: (S.COLLABORATING, S.REVIEWING, S.ON_HOLD, S.WITHDRAWN),
    S.COLLABORATING: (S.RESOLVED, S.OPEN, S.ON_HOLD),
    S.RESOLVED: (),
    S.ON_HOLD: (S.REVIEWING, S.OPEN, S.COLLABORATING, S.WITHDRAWN),
    S.WITHDRAWN: (S.DRAFT,),
}


# The states a new issue starts in, on the form and in an import: 連携中 and 解決 are reached
# through a project, 保留 and 取下げ through a decision about an existing issue.
CREATE_STATUSES = (S.DRAFT, S.REVIEWING, S.OPEN)


def create_refusal(status: str) -> str:
    return _(
        "新しい課題は「%(allowed)s」のいずれかで登録してください（「%(status)s」にはできません）。"
    ) % {
        "allowed": "」「".join(str(S(value).label) for value in CREATE_STATUSES),
        "status": S(status).label,
    }


# A collaboration project started on the issue (a partner accepted a proposal, staff approved a
# partner's own proposal, an event outcome was confirmed, or a coordinator entered it): the
# issue is 連携中 from whatever state it was in, since the project now exists.
PROJECT_STARTED_TO = S.COLLABORATING
# ...but not on an issue that is closed or not yet published: a proposal answered after the
# issue was withdrawn (or resolved) must not bring it back.
PROJECT_NOT_STARTED_FROM = (S.WITHDRAWN, S.RESOLVED, S.DRAFT)


# The states in which an issue takes no proposal: closed (解決), withdrawn (取下げ), put on hold
# (保留: no longer public, and a reopened issue is published afresh) or back to a draft. Entering
# one closes the issue's open proposals (matching.proposals.services.proposals_close_for_issue)
# and no new one is sent. 連携中 is not one: a project may take in a further organisation while it
# runs. Nor is 精査中: the engine matches issues under review, so the ward may propose before
# publishing.
PROPOSALS_CLOSED_IN = (S.RESOLVED, S.WITHDRAWN, S.ON_HOLD, S.DRAFT)


def proposal_closed_refusal(status: str) -> str:
    return _("この課題は「%(status)s」のため、提案を送れません。") % {"status": S(status).label}


def project_start_refusal(status: str) -> str:
    return _("この課題は「%(status)s」のため、連携事業を始められません。") % {
        "status": S(status).label
    }


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def transition_allowed(current: str, new: str) -> bool:
    return new == current or new in allowed_transitions(current)


def status_choices_for(status: str) -> list[tuple[str, StrOrPromise]]:
    """The current status first, then the ones it may move to (for a select box)."""
    return [(value, S(value).label) for value in (status, *allowed_transitions(status))]


def transition_refusal(current: str, new: str) -> str:
    """What a person is told when the workflow forbids `current` → `new` (screens and imports)."""
    return _("「%(from)s」から「%(to)s」には変更できません。") % {
        "from": S(current).label,
        "to": S(new).label,
    }
