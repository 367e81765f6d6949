"""Demo data of partners' proposals (order 35): open calls, 逆プロポ, and conversations.

After the engine's history (matching.demo, order 30): a few 募集中 issues are published as open
calls (deadlines in the coming weeks, one closed last week, Tokyo dates relative to today); the
demo partners' organisations (accounts `partner` and `partner2`) propose to issues the engine
ranks their resources for — one under review, one held, one approved (→ 連携事業), one turned
down with a reason — and threads about them carry a short exchange with the ward. Idempotent:
an organisation's proposal to an issue, a call or a thread that exists is left alone.
"""

from __future__ import annotations

import datetime
import hashlib
import random

from django.core.files.base import ContentFile
from django.db.models import Exists, OuterRef
from django.utils import timezone

from issues.models import Issue, IssueStatus
from matching.calls.models import OpenCall
from matching.conversations.models import Attachment, Message, Side, Thread, ThreadRead
from matching.demo import kept_for_review, staff_member
from matching.models import Candidate, Decision, Proposal
from matching.projects.models import Project
from matching.projects.services import project_status_change
from matching.proposals.services import PROPOSAL_DAYS, project_from_proposal
from matching.scoring import engine_load, pair_features
from partners.models import Membership, Organization, Resource, ResourceStatus
from portal.attachments import attachment_upload_to
from portal.demo.history import tokyo_at
from portal.models import Role, User
from portal.registry import DemoContext

CRITERIA = [
    "区民への効果（対象者数・継続性）、実現可能性、費用の妥当性、区内事業者との協働を重視します。",
    "実証後に区の事業として続けられるか、個人情報の扱いが適切かを重視します。",
    "高齢者や子育て世帯が実際に使える仕組みであること、費用分担の考え方を重視します。",
]
# (status, verdict, kind, days before today it was sent) for each demo organisation in turn.
PLANS = [
    [("accepted", "approved", "proposal", 75), ("submitted", "", "proposal", 6)],
    [("rejected", "rejected", "proposal", 50), ("submitted", "held", "interest", 12)],
]
OFFERS = {
    "proposal": "{resource}を活用し、「{issue}」に取り組みます。まず対象地区で3か月の試行を行い、"
    "効果を区と一緒に測定したうえで本格実施を判断することを提案します。",
    "interest": "「{issue}」に関心があります。{resource}で協力できると考えています。"
    "詳しい提案の前に、区の担当者と課題の現状について意見交換させてください。",
}
EXCHANGE = [
    (
        Side.PARTNER,
        "ご検討ありがとうございます。試行の対象世帯の選び方について相談させてください。",
    ),
    (
        Side.WARD,
        "町会と民生委員から推薦をいただく方法を考えています。来週、打合せは可能でしょうか。",
    ),
    (Side.PARTNER, "承知しました。計画書の案を添付します。水曜の午後であれば伺えます。"),
]
# A minimal one-page PDF (no text): the demo's attachment passes the content check.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def load(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 35)  # noqa: S311  # nosec B311 - demo data, not security
    today = timezone.localdate()
    made = {"calls": 0, "proposals": 0, "threads": 0}
    organizations = [
        m.organization
        for m in Membership.objects.filter(user__username__in=["partner", "partner2"])
        .select_related("organization")
        .order_by("user__username")
    ]
    for organization, plan in zip(organizations, PLANS, strict=False):
        proposals = list(
            Proposal.objects.filter(organization=organization, origin=Proposal.Origin.PARTNER)
        )
        if not proposals:  # not loaded before
            for (status, verdict, kind, days_ago), issue in zip(
                plan, _issues_for(organization, len(plan)), strict=False
            ):
                sent = today - datetime.timedelta(days=days_ago)
                if status != "accepted":  # an issue made a project is no longer called for
                    made["calls"] += _open_call(rng, issue, sent=sent, closed=status == "rejected")
                proposal = _proposal(rng, organization, issue, kind, sent)
                _decide(proposal, status, verdict, sent)
                proposals.append(proposal)
                made["proposals"] += 1
        made["threads"] += sum(_thread(proposal) for proposal in proposals)
    made["calls"] += _more_open_calls(rng, today)
    ctx.log(
        "matching: {calls} open calls, {proposals} partner proposals, {threads} threads".format(
            **made
        )
    )


def _open_call(rng: random.Random, issue: Issue, *, sent: datetime.date, closed: bool) -> int:
    """The call a demo proposal answered: published two weeks before it was sent, closed a
    week ago or open for a few more weeks."""
    if OpenCall.objects.filter(issue=issue).exists():
        return 0
    today = timezone.localdate()
    deadline = today + datetime.timedelta(days=-7 if closed else rng.randint(14, 30))
    published = tokyo_at(sent - datetime.timedelta(days=14), 10)
    call = OpenCall.objects.create(
        issue=issue,
        deadline=deadline,
        criteria=rng.choice(CRITERIA),
        published_by=issue.coordinator,
        published_at=published,
    )
    OpenCall.history.filter(id=call.pk).update(history_date=published)
    return 1


def _more_open_calls(rng: random.Random, today: datetime.date, total: int = 5) -> int:
    """Open calls on the highest-priority 募集中 issues with candidates, up to `total` calls."""
    missing = total - OpenCall.objects.count()
    if missing <= 0:
        return 0
    issues = (
        Issue.objects.filter(status=IssueStatus.OPEN, open_call__isnull=True)
        .filter(Exists(Candidate.objects.filter(issue=OuterRef("pk"), current=True)))
        .select_related("coordinator")
        .order_by("-priority", "ref")[:missing]
    )
    for offset, issue in enumerate(issues):
        _open_call(rng, issue, sent=today - datetime.timedelta(days=offset), closed=False)
    return len(issues)


def _issues_for(organization: Organization, n: int) -> list[Issue]:
    """募集中 issues the engine ranks the organisation's resources for (best first), then
    other 募集中 issues in its resources' fields; none it was already proposed."""
    fields = Resource.objects.filter(organization=organization).values("fields")
    open_issues = Issue.objects.filter(status=IssueStatus.OPEN).exclude(
        proposals__organization=organization
    )
    ranked = (
        Candidate.objects.filter(
            resource__organization=organization,
            resource__status=ResourceStatus.ACTIVE,
            issue__in=open_issues,
            current=True,
        )
        .select_related("issue")
        .order_by("rank", "-score", "pk")
    )
    # By title: wards share issue titles, and the demo reads better with distinct ones.
    found: dict[str, Issue] = {}
    for candidate in ranked:
        found.setdefault(candidate.issue.title, candidate.issue)
    for issue in open_issues.filter(field__in=fields).order_by("-priority", "ref"):
        found.setdefault(issue.title, issue)
    # The issues kept for the coordinators' review last: a plan's first proposal is accepted and
    # its issue leaves 募集中, the others leave their issue open.
    kept = kept_for_review()
    return sorted(found.values(), key=lambda issue: issue.pk in kept)[:n]


def _proposal(
    rng: random.Random, organization: Organization, issue: Issue, kind: str, sent: datetime.date
) -> Proposal:
    active = Resource.objects.filter(organization=organization, status=ResourceStatus.ACTIVE)
    resources = list(active.filter(candidates__issue=issue).order_by("pk")[:2]) or list(
        active.order_by("pk")[:1]
    )
    author = User.objects.filter(membership__organization=organization).first()
    start = sent + datetime.timedelta(days=rng.randint(30, 60))
    proposal = Proposal.objects.create(
        issue=issue,
        resource=resources[0],
        organization=organization,
        origin=Proposal.Origin.PARTNER,
        kind=kind,
        status=Proposal.Status.SUBMITTED,
        message=OFFERS[kind].format(resource=resources[0].title, issue=issue.title),
        period_start=start if kind == "proposal" else None,
        period_end=start + datetime.timedelta(days=180) if kind == "proposal" else None,
        public_cost=rng.choice([0, 300_000, 800_000]) if kind == "proposal" else 0,
        partner_cost=rng.choice([200_000, 500_000]) if kind == "proposal" else 0,
        in_kind_value=rng.choice([100_000, 250_000]) if kind == "proposal" else 0,
        open_call=OpenCall.objects.filter(issue=issue).first(),
        deadline=sent + datetime.timedelta(days=PROPOSAL_DAYS),
        created_by=author,
    )
    proposal.resources.set(resources)
    Proposal.objects.filter(pk=proposal.pk).update(created_at=tokyo_at(sent, 15))
    proposal.refresh_from_db()
    return proposal


def _decide(proposal: Proposal, status: str, verdict: str, sent: datetime.date) -> None:
    """The staff decision as the review flow writes it (one Decision per offered resource,
    with the engine's pair features), dated a week after the proposal was sent."""
    if not verdict:
        return
    issue = proposal.issue
    decider = staff_member(
        Role.APPROVER if verdict == "approved" else Role.COORDINATOR, issue.ward_id
    )
    day = sent + datetime.timedelta(days=7)
    engine = engine_load()
    resource_ids = list(proposal.resources.order_by("pk").values_list("pk", flat=True))
    features = (
        pair_features(issue_id=issue.pk, resource_ids=resource_ids, engine=engine) if engine else {}
    )
    decisions = []
    for resource_id in resource_ids:
        decision = Decision.objects.create(
            issue=issue,
            resource_id=resource_id,
            partner_proposal=proposal,
            verdict=verdict,
            reason="period" if verdict == "rejected" else "",
            comment="来年度の予算編成に合わせて再提案をお待ちしています。"
            if verdict == "rejected"
            else "",
            features=features.get(resource_id, {}),
            decided_by=decider,
        )
        Decision.objects.filter(pk=decision.pk).update(decided_at=tokyo_at(day, 11))
        decisions.append(decision)
    Proposal.objects.filter(pk=proposal.pk).update(verdict=verdict)
    if status == "submitted":
        return
    Proposal.objects.filter(pk=proposal.pk).update(
        status=status,
        decision=decisions[0],
        responded_at=tokyo_at(day, 11),
        response_reason="時期が合わない。来年度の予算編成に合わせて再提案をお待ちしています。"
        if status == "rejected"
        else "",
    )
    proposal.refresh_from_db()
    if status == "accepted":
        project = project_from_proposal(proposal=proposal, created_by=decider)
        if project.start_date <= timezone.localdate():
            # The pilot starts under whoever runs projects (an approver decides, but does not
            # run them): the demo's admin.
            project_status_change(
                project=project,
                status=Project.Status.PILOT,
                changed_by=staff_member(Role.ADMIN, None),
            )


def _thread(proposal: Proposal) -> int:
    """A short exchange about the proposal, or about its project once it became one (none
    about a proposal turned down)."""
    if proposal.status == Proposal.Status.REJECTED:
        return 0
    project = getattr(proposal, "project", None)
    lookup = {"project": project} if project is not None else {"proposal": proposal}
    if Thread.objects.filter(**lookup).exists():
        return 0
    coordinator = proposal.issue.coordinator or staff_member(
        Role.COORDINATOR, proposal.issue.ward_id
    )
    if coordinator is None or proposal.created_by is None:
        return 0
    thread = Thread.objects.create(**lookup)
    start = timezone.localtime(proposal.responded_at or proposal.created_at)
    for index, (side, body) in enumerate(EXCHANGE):
        author = proposal.created_by if side == Side.PARTNER else coordinator
        message = Message.objects.create(thread=thread, author=author, side=side, body=body)
        when = min(start + datetime.timedelta(days=index + 1, hours=index), timezone.now())
        Message.objects.filter(pk=message.pk).update(created_at=when)
        Message.history.filter(id=message.pk).update(history_date=when, history_user=author)
        if index == len(EXCHANGE) - 1:
            attachment = Attachment(
                message=message,
                name="試行計画書（案）.pdf",
                content_type="application/pdf",
                size=len(DEMO_PDF),
                sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
            )
            attachment.file.save(
                attachment_upload_to(attachment, "plan.pdf"), ContentFile(DEMO_PDF), save=False
            )
            attachment.save()
        Thread.objects.filter(pk=thread.pk).update(last_message_at=when)
    # The coordinator has read up to their own reply; the partner's latest is still unread.
    ThreadRead.objects.create(
        thread=thread,
        user=coordinator,
        last_message_id=thread.messages.filter(side=Side.WARD)
        .order_by("-pk")
        .values_list("pk", flat=True)[0],
        read_at=timezone.now(),
    )
    return 1
