"""Demo data of projects (order 42, after the matching history and the events): each project's
lifecycle walked with dated steps, every status represented, a cost split with in-kind value on
some, partner progress reports, problems raised from both sides (open, in hand and resolved),
and the 連携決定 of past events followed up by the project it led to.

Idempotent: a project that already has more than its first status step, or a problem log, is
left as it is.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Count
from django.utils import timezone

from issues.models import Issue, IssueStatus
from matching.demo import kept_for_review
from matching.projects import selectors, services
from matching.projects.models import (
    ProblemKind,
    ProblemStatus,
    ProgressReport,
    Project,
    ProjectProblem,
)
from partners.models import Membership
from portal.models import Role, User
from portal.registry import DemoContext

S = Project.Status
PROGRESS = [
    ("対象の10世帯に機器を設置し、見守りを始めました。", "町会と月1回の振り返りを行います。"),
    ("参加者アンケートを実施し、満足度は概ね良好でした。", "次回は対象地区を広げます。"),
    ("講座を3回開催し、延べ48人が参加しました。", "区報で次期の参加者を募集します。"),
    ("運用マニュアルを区の担当課と確認しました。", "本格導入に向けた費用を試算します。"),
]
PROBLEMS = [
    (
        ProblemKind.START,
        "協定書のひな形の確認",
        "連携協定書の様式について、法務担当の確認が必要です。",
    ),
    (
        ProblemKind.START,
        "個人情報の取扱いの整理",
        "見守り対象者の情報を団体と共有する範囲を決めたい。",
    ),
    (
        ProblemKind.TROUBLE,
        "機器の設置日程が遅れている",
        "部品の納期が遅れ、設置が2週間ずれ込みます。",
    ),
    (ProblemKind.TROUBLE, "会場の予約が重複した", "区民会館の予約が他団体と重なっていました。"),
    (ProblemKind.TROUBLE, "参加者が想定より少ない", "周知が足りず、初回の参加者が5人でした。"),
]
RESOLUTIONS = [
    "担当課と調整し、区の標準様式を使うことで合意した。",
    "代替の日程を団体と決め、対象世帯に連絡した。",
    "町会の回覧板と区報で周知し、次回は22人が参加した。",
]


def lifecycle_walk(project: Project, rng: random.Random, today: datetime.date) -> None:
    """Walk a project created 準備中 through dated steps fitting its age: a pilot from its start;
    after 4–10 months the pilot concludes (本格導入 about 4 in 10, as Urban Innovation JAPAN
    reports, otherwise 継続, 終了 or 中止); a 継続 may be adopted or ended later."""
    start = project.start_date
    if start > today or project.status != S.PREPARING:
        return
    steps: list[tuple[str, datetime.date]] = [(S.PILOT, start)]
    concluded = start + datetime.timedelta(days=rng.randint(120, 300))
    if concluded <= today:
        outcome = rng.choices(
            [S.ADOPTED, S.CONTINUING, S.COMPLETED, S.CANCELLED], weights=[40, 20, 25, 15]
        )[0]
        steps.append((outcome, concluded))
        later = concluded + datetime.timedelta(days=rng.randint(90, 240))
        if outcome == S.CONTINUING and later <= today and rng.random() < 0.5:
            steps.append((rng.choice([S.ADOPTED, S.ADOPTED, S.COMPLETED]), later))
        elif (
            outcome == S.ADOPTED
            and later + datetime.timedelta(days=300) <= today
            and rng.random() < 0.3
        ):
            steps.append((S.COMPLETED, later + datetime.timedelta(days=300)))
    notes: dict[str, str] = {
        S.ADOPTED: "区の通常事業として予算化",
        S.CANCELLED: "団体側の体制が確保できず中止",
    }
    for status, day in steps:
        services.project_status_change(
            project=project, status=status, changed_by=None, on=day, note=notes.get(status, "")
        )


def load(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 42)  # noqa: S311  # nosec B311 - demo data, not security
    today = timezone.localdate()
    followed = _event_follow_ups(rng)
    _upcoming(rng, today)
    walked = 0
    for project in Project.objects.annotate(steps=Count("status_changes")).filter(steps__lte=1):
        before = project.status
        lifecycle_walk(project, rng, today)
        walked += project.status != before
        if project.status == S.COMPLETED:
            # A collaboration that ran its course solved its issues (the issues' own demo rule).
            Issue.objects.filter(projects=project, status=IssueStatus.COLLABORATING).update(
                status=IssueStatus.RESOLVED
            )
    projects = list(
        Project.objects.filter(status__in=[S.PILOT, S.ADOPTED, S.CONTINUING])
        .select_related("coordinator", "ward")
        .prefetch_related("organizations")
        .order_by("pk")
    )
    _in_kind(rng, projects[::5])
    _progress(rng, projects[::3], today)
    problems = _problems(rng, projects[1::4])
    ctx.log(
        f"  projects: {walked} lifecycles walked, {followed} event outcomes followed up, "
        f"{problems} problems; statuses "
        + ", ".join(
            f"{S(s).label} {n}"
            for s, n in Project.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
    )


def _event_follow_ups(rng: random.Random) -> int:
    """A past event's 連携決定 without a follow-up gets the project it led to: one already made
    for the pair's issue and organisation, or a new one confirmed by the staff a few weeks on."""
    from issues.workflow import PROJECT_NOT_STARTED_FROM
    from matching.events.models import EventPair, EventStatus, PairOutcome

    pairs = EventPair.objects.filter(
        event__status=EventStatus.CLOSED,
        outcome=PairOutcome.DECIDED,
        proposal__isnull=True,
        project__isnull=True,
    ).select_related("event", "issue__ward", "issue__field", "issue__coordinator", "organization")
    made = 0
    for pair in pairs:
        project = Project.objects.filter(
            issues=pair.issue_id, organizations=pair.organization_id
        ).first()
        if project is None and pair.issue.status in PROJECT_NOT_STARTED_FROM:
            continue  # the issue closed since: the portal would refuse the project too
        if project is None:
            held = timezone.localtime(pair.event.starts_at).date()
            project = services.project_create(
                title=f"{pair.issue.title}（{pair.organization.name}）"[:200],
                summary=f"マッチングイベント「{pair.event.title}」で連携決定",
                issues=[pair.issue],
                organizations=[pair.organization],
                # A recent event's project may not have started yet: it stays 準備中.
                start_date=held + datetime.timedelta(days=rng.randint(14, 45)),
                resource=pair.resource,
                ward=pair.issue.ward,
                field=pair.issue.field,
                coordinator=pair.issue.coordinator,
                public_cost=rng.choice([0, 300_000, 800_000]),
                partner_cost=rng.choice([0, 200_000, 500_000]),
            )
        EventPair.objects.filter(pk=pair.pk).update(project=project)
        made += 1
    return made


def _upcoming(rng: random.Random, today: datetime.date) -> None:
    """A few projects a coordinator entered directly that start in the coming weeks (準備中)."""

    if Project.objects.filter(start_date__gt=today, proposal__isnull=True).count() >= 3:
        return
    issues = (
        Issue.objects.filter(status=IssueStatus.OPEN, candidates__current=True, candidates__rank=1)
        .exclude(pk__in=kept_for_review())
        .select_related("ward", "field", "coordinator")
    )
    for issue in issues.distinct().order_by("-ref")[:3]:
        candidate = issue.candidates.filter(current=True, rank=1).select_related(
            "resource__organization"
        )[0]
        services.project_create(
            title=f"{issue.title}（{candidate.resource.organization.name}）"[:200],
            summary=f"{candidate.resource.title}を活用する事業。協定の締結を準備中。",
            issues=[issue],
            organizations=[candidate.resource.organization],
            start_date=today + datetime.timedelta(days=rng.randint(14, 60)),
            resource=candidate.resource,
            ward=issue.ward,
            field=issue.field,
            coordinator=issue.coordinator,
            public_cost=rng.choice([300_000, 600_000]),
            partner_cost=rng.choice([0, 200_000]),
        )


def _in_kind(rng: random.Random, projects: list[Project]) -> None:
    """Some projects show a full split: the ward lends a room, the organisation its equipment."""
    for project in projects:
        rows = selectors.project_cost_rows(project)
        if len(rows) < 2 or any(row["in_kind"] for row in rows):
            continue
        ward, partner = rows[0], rows[1]
        services.project_costs_set(
            project=project,
            parties={
                None: {
                    "cash": ward["cash"],
                    "in_kind": rng.choice([30_000, 60_000]),
                    "in_kind_note": "区民会館の会議室（年12回）",
                },
                partner["key"]: {
                    "cash": partner["cash"],
                    "in_kind": rng.choice([150_000, 400_000]),
                    "in_kind_note": rng.choice(
                        ["見守りセンサー20台の貸与", "社員ボランティア延べ30人日"]
                    ),
                },
            },
            changed_by=None,
        )


def _member(project: Project) -> Membership | None:
    return (
        Membership.objects.filter(organization__in=project.organizations.all())
        .select_related("user")
        .order_by("pk")
        .first()
    )


def _progress(rng: random.Random, projects: list[Project], today: datetime.date) -> None:
    for project in projects:
        member = _member(project)
        if member is None or project.progress_reports.exists():
            continue
        body, next_steps = rng.choice(PROGRESS)
        ProgressReport.objects.create(
            project=project,
            organization_id=member.organization_id,
            reported_on=min(project.start_date + datetime.timedelta(days=60), today),
            body=body,
            next_steps=next_steps,
            reported_by=member.user,
        )


def _problems(rng: random.Random, projects: list[Project]) -> int:
    made = 0
    staff = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk").first()
    for index, project in enumerate(projects):
        if project.problems.exists():
            continue
        kind, title, description = PROBLEMS[index % len(PROBLEMS)]
        member = _member(project)
        status = [ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED][index % 3]
        coordinator = project.coordinator or staff
        resolved = status == ProblemStatus.RESOLVED
        ProjectProblem.objects.create(
            project=project,
            kind=kind,
            title=title,
            description=description,
            status=status,
            organization_id=member.organization_id if member else None,
            raised_by=member.user if member else coordinator,
            assigned_to=coordinator,
            resolution=rng.choice(RESOLUTIONS) if resolved else "",
            resolved_at=timezone.now() if resolved else None,
            resolved_by=coordinator if resolved else None,
        )
        made += 1
    return made
