"""Demo data of the matching app (order 30): a full run, decisions, proposals and projects.

Runs the engine on the demo issues and resources, then plays a realistic history: staff review
the top candidates (approve, ask for approval, hold, reject with a reason), approved pairs become
proposals created between April 2024 and November 2026, most are accepted (→ 連携事業 with costs
and statuses), some declined or expired. Idempotent: a pair already decided is left alone.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from issues.models import Issue, IssueStatus
from issues.workflow import PROJECT_NOT_STARTED_FROM
from matching.models import Candidate, Decision, ExposureLog, MatchChunk, MatchRun, Proposal
from matching.projects import services as project_services
from matching.proposals import services as proposal_services
from matching.runs import services as run_services
from partners.models import Outreach
from partners.reach.services import outreach_record
from portal.demo.history import tokyo_at
from portal.models import Role, User
from portal.registry import DemoContext

DEMO_RUN_KEY = "demo-full-run"
FIRST_DAY = datetime.date(2024, 4, 1)
LAST_DAY = datetime.date(2026, 11, 20)
DECLINE_REASONS = [
    "今年度は担当できる人員が確保できないため、辞退します。",
    "提供できる時期が課題の希望時期と合わないため、今回は見送ります。",
    "社内の予算が確定しておらず、期限内に判断できませんでした。",
    "対象地域が当社の活動範囲から離れているため、辞退します。",
]
COMMENTS = {
    "approved": ["区の重点事業と合致しており、早期に提案したい。", "過去の実績もあり適任と判断。"],
    "requested": ["担当課の承認をお願いします。"],
    "held": ["団体の受入体制を確認してから判断する。", "来年度の予算編成を待つ。"],
    "rejected": ["", "対象者の規模が合わない。"],
}
REJECT_REASONS = ["field_mismatch", "ward", "period", "capacity", "cost"]
REVIEWED_SHARE = 0.5  # of each ward's matched issues; the rest wait for review
REVIEW_WITHIN_DAYS = 150  # from the later of the issue's and the organisations' registration
KEEP_WAITING = 2  # matched issues per ward never reviewed by the demo, however few it has


def kept_for_review() -> set[int]:
    """Ids of the issues the demo leaves for each ward's coordinator to review: per ward, the
    `KEEP_WAITING` newest 募集中 issues (highest 整理番号) whose rank-1 candidate has no verdict.

    Every later demo step (reviews, events, partner proposals, projects) leaves them alone, so
    each coordinator signs in to work waiting whatever day the demo is loaded: the steps' choices
    depend on today's date, and once took all of 品川区's open issues.
    """
    rows = (
        Candidate.objects.filter(current=True, rank=1, verdict="", issue__status=IssueStatus.OPEN)
        .order_by("issue__ward_id", "-issue__ref")
        .values_list("issue__ward_id", "issue_id")
    )
    kept: dict[int | None, list[int]] = {}
    for ward_id, issue_id in rows:
        group = kept.setdefault(ward_id, [])
        if len(group) < KEEP_WAITING:
            group.append(issue_id)
    return {pk for group in kept.values() for pk in group}


def _run_matching(ctx: DemoContext) -> MatchRun | None:
    run, created = MatchRun.objects.get_or_create(
        key=DEMO_RUN_KEY, defaults={"scope": MatchRun.Scope.ALL}
    )
    if not created and run.status == MatchRun.Status.SUCCEEDED:
        return run
    if not created:
        MatchChunk.objects.filter(run=run).delete()
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRun.Status.QUEUED, chunks_done=0, chunks_total=0, error=""
        )
    for chunk_id in run_services.match_run_prepare(run_id=run.pk):
        run_services.match_chunk_execute(chunk_id=chunk_id)
    run.refresh_from_db()
    ctx.log(
        f"matching: run {run.pk} {run.status}, {run.candidate_count} candidates "
        f"in {run.chunks_total} chunks"
    )
    return run


def staff_member(role: str, ward_id: int | None) -> User | None:
    """An active staff member of `role`, of the ward if there is one, else of any ward."""
    qs = User.objects.filter(role=role, is_active=True)
    # None means IS NULL to Django; the stubs do not accept None here.
    return qs.filter(ward_id=ward_id).first() or qs.first()  # type: ignore[misc]


def load(ctx: DemoContext) -> None:
    if not Issue.objects.exists():
        ctx.log("matching: no issues yet, skipped")
        return
    run = _run_matching(ctx)
    if run is None or run.status != MatchRun.Status.SUCCEEDED:
        return
    rng = random.Random(ctx.seed)  # noqa: S311  # nosec B311 - demo data, not security
    admin = User.objects.filter(role=Role.ADMIN).first()
    issues = list(
        Issue.objects.filter(candidates__current=True, candidates__rank=1)
        .exclude(pk__in=kept_for_review())
        .select_related("ward", "field", "coordinator")
        .order_by("ref")
        .distinct()
    )
    rng.shuffle(issues)
    # Reviewed per ward, so that every ward's coordinator has more than the kept issues to match
    # (the sign-in coordinator's ward once had 10 of its 13 issues turned into projects).
    by_ward: dict[int | None, list[Issue]] = {}
    for issue in issues:
        by_ward.setdefault(issue.ward_id, []).append(issue)
    reviewed = [
        issue for group in by_ward.values() for issue in group[: int(len(group) * REVIEWED_SHARE)]
    ]
    decided_issues = set(Decision.objects.values_list("issue_id", flat=True))
    made = {"decisions": 0, "proposals": 0, "projects": 0}
    for issue in reviewed:
        if issue.pk in decided_issues:  # reviewed by an earlier load
            continue
        coordinator = issue.coordinator or staff_member(Role.COORDINATOR, issue.ward_id) or admin
        approver = staff_member(Role.APPROVER, issue.ward_id) or admin
        candidates = list(
            Candidate.objects.filter(issue=issue, current=True, rank__lte=4)
            .select_related("resource__organization")
            .order_by("rank")
        )
        # Reviewed at least two weeks after the issue and the organisations were registered.
        earliest = max(
            [FIRST_DAY]
            + [
                timezone.localtime(registered).date() + datetime.timedelta(days=14)
                for registered in [issue.created_at]
                + [c.resource.organization.created_at for c in candidates]
            ]
        )
        # Most issues are taken up within months of their registration (REVIEW_WITHIN_DAYS).
        window = min((LAST_DAY - earliest).days, REVIEW_WITHIN_DAYS)
        day = earliest + datetime.timedelta(days=rng.randrange(max(1, window)))
        for candidate in candidates:
            verdict = _verdict(rng, candidate.rank)
            if verdict is None:
                continue
            user = approver if verdict == "approved" else coordinator
            reason = rng.choice(REJECT_REASONS) if verdict == "rejected" else ""
            decision = Decision.objects.create(
                issue=issue,
                resource=candidate.resource,
                candidate=candidate,
                verdict=verdict,
                reason=reason,
                comment=rng.choice(COMMENTS[verdict]),
                shown_rank=candidate.rank,
                shown_score=candidate.score,
                features=(candidate.components or {}).get("features", {}),
                decided_by=user,
            )
            Decision.objects.filter(pk=decision.pk).update(decided_at=tokyo_at(day, 11))
            Candidate.objects.filter(pk=candidate.pk).update(verdict=verdict)
            made["decisions"] += 1
            if verdict == "approved":
                made["projects"] += _proposal(rng, decision, candidate, day, approver, made)
    ctx.log(
        "matching: {decisions} decisions, {proposals} proposals, {projects} projects".format(**made)
    )


def _verdict(rng: random.Random, rank: int) -> str | None:
    roll = rng.random()
    if rank == 1:
        return "approved" if roll < 0.7 else ("requested" if roll < 0.8 else "held")
    if rank == 2:
        return "approved" if roll < 0.15 else ("rejected" if roll < 0.6 else "held")
    return "rejected" if roll < 0.5 else (None if roll < 0.8 else "held")


def _proposal(rng, decision, candidate, day, approver, made) -> int:
    resource = candidate.resource
    issue = decision.issue
    today = timezone.localdate()
    deadline = day + datetime.timedelta(days=proposal_services.PROPOSAL_DAYS)
    proposal = Proposal.objects.create(
        issue=issue,
        resource=resource,
        organization=resource.organization,
        decision=decision,
        message="区の地域課題について、貴団体のリソースでの連携をご提案します。",
        deadline=deadline,
        created_by=approver,
    )
    Proposal.objects.filter(pk=proposal.pk).update(created_at=tokyo_at(day, 14))
    ExposureLog.objects.create(
        organization=resource.organization, kind=ExposureLog.Kind.PROPOSED, proposal=proposal
    )
    ExposureLog.objects.filter(proposal=proposal).update(created_at=tokyo_at(day, 14))
    # Whom it reached when it was sent: the organisation's members, else its contacts.
    outreach_record(
        organization_id=resource.organization_id,
        topic=Outreach.Topic.PROPOSAL,
        topic_id=proposal.pk,
    )
    made["proposals"] += 1
    if deadline >= today:  # still waiting for the partner's answer
        return 0
    roll = rng.random()
    answered = day + datetime.timedelta(days=rng.randint(2, proposal_services.PROPOSAL_DAYS - 1))
    issue.refresh_from_db(fields=["status"])
    # A proposal accepted after its issue closed would be refused in the portal
    # (issues.workflow.PROJECT_NOT_STARTED_FROM): the demo has it expire instead.
    if roll < 0.62 and issue.status not in PROJECT_NOT_STARTED_FROM:
        Proposal.objects.filter(pk=proposal.pk).update(
            status=Proposal.Status.ACCEPTED, responded_at=tokyo_at(answered, 16)
        )
        _project(rng, proposal, issue, resource, answered)
        return 1
    if roll < 0.85:
        Proposal.objects.filter(pk=proposal.pk).update(
            status=Proposal.Status.DECLINED,
            responded_at=tokyo_at(answered, 16),
            response_reason=rng.choice(DECLINE_REASONS),
        )
    else:
        Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.EXPIRED)
    return 0


def _project(rng, proposal, issue, resource, answered) -> None:
    """The project an accepted proposal became, 準備中 with its cost split; its lifecycle is
    walked with dated steps by matching.projects.demo (order 42)."""
    start = answered + datetime.timedelta(days=rng.randint(7, 45))
    start = min(start, LAST_DAY)
    public = rng.choice([0, 200_000, 500_000, 800_000, 1_200_000, 2_000_000, 3_500_000])
    partner_cost = rng.choice([0, 100_000, 300_000, 600_000, 1_000_000, 2_500_000])
    project_services.project_create(
        title=f"{issue.title}（{resource.organization.name}）"[:200],
        summary=f"{resource.title}を活用して「{issue.title}」に取り組む連携事業。",
        issues=[issue],
        organizations=[resource.organization],
        start_date=start,
        proposal=proposal,
        resource=resource,
        ward=issue.ward,
        field=issue.field,
        coordinator=issue.coordinator,
        public_cost=public,
        partner_cost=partner_cost,
        in_kind_value=rng.choice([0, 50_000, 150_000, 400_000]),
        participants=rng.randint(5, 80),
        beneficiaries=rng.randint(20, 600),
    )
