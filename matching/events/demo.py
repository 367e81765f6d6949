"""Matching events: registration (menu, cards, caseload provider, demo loader) and demo data.

``register()`` is called from ``MatchingConfig.ready()``.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.fiscal import fiscal_year_of
from portal.registry import DemoContext

THEME_NAMES = [
    "SDGs",
    "DX",
    "地域活性化",
    "防災",
    "子育て",
    "高齢者支援",
    "環境・脱炭素",
    "多文化共生",
]
VENUES = [
    "区役所本庁舎 5階 大会議室",
    "区民センター 多目的ホール",
    "産業会館 展示ホール",
    "男女平等推進センター 研修室",
    "大学キャンパス 交流ラウンジ",
]
TITLES = [
    "{theme}で地域課題を解く 連携ピッチ会",
    "企業・大学と区の{theme}交流会",
    "{theme}マッチングカフェ",
    "{theme}ラウンドテーブル",
]
MINUTES = (
    "各組み合わせについて、課題の背景と団体の提供可能なリソースを5分ずつ発表し、"
    "質疑応答を行った。次回までに担当課と団体で実施体制と費用分担を整理することを確認した。"
)


def register() -> None:
    from matching.projects.selectors import caseload_by_coordinator
    from portal import registry
    from portal.models import STAFF_ROLES, Role

    staff = [*STAFF_ROLES]
    registry.demo_loader_register(key="matching.events", order=40, loader=load)
    registry.caseload_provider_register(
        key="matching.assignments", provider=caseload_by_coordinator
    )
    registry.menu_register(
        label=_("イベント"), url_name="matching:event_list", roles=staff, order=400
    )
    registry.menu_register(
        label=_("イベントの招待"),
        url_name="matching:event_my_invitations",
        roles=[Role.PARTNER],
        order=400,
    )
    registry.menu_register(
        label=_("イベントのお知らせ"),
        url_name="matching:event_public_list",
        roles=["public"],
        order=400,
    )
    registry.card_register(
        key="matching.events",
        title=_("マッチングイベント"),
        template="matching/events/cards/events.html",
        roles=staff,
        context=_events_card,
        order=45,
    )
    registry.card_register(
        key="matching.my_invitations",
        title=_("イベントの招待"),
        template="matching/events/cards/invitations.html",
        roles=[Role.PARTNER, Role.COORDINATOR],
        context=_invitations_card,
        order=46,
    )


def _events_card(user) -> dict:
    from matching.events.models import Event, EventStatus
    from matching.events.selectors import TARGET_EVENTS_PER_MONTH, events_per_month

    upcoming = list(
        Event.objects.filter(status=EventStatus.OPEN, ends_at__gte=timezone.now())
        .select_related("theme")
        .order_by("starts_at")[:3]
    )
    this_month = events_per_month(months=1)[0]["events"]
    return {"upcoming": upcoming, "this_month": this_month, "target": TARGET_EVENTS_PER_MONTH}


def _invitations_card(user) -> dict:
    from matching.events.models import EventStatus, Invitation, InvitationStatus

    qs = Invitation.objects.filter(
        user=user, event__status=EventStatus.OPEN, event__ends_at__gte=timezone.now()
    )
    counts = qs.aggregate(
        pending=Count("pk", filter=Q(status=InvitationStatus.INVITED)),
        registered=Count("pk", filter=Q(status=InvitationStatus.REGISTERED)),
    )
    return counts


# --- demo data -------------------------------------------------------------------------------


def load(ctx: DemoContext) -> None:
    """Events over the last 20 months (and a few ahead), with registrations and outcomes."""
    from issues.models import Issue
    from matching.demo import kept_for_review
    from matching.events.models import (
        Event,
        EventPair,
        EventStatus,
        EventTheme,
        Invitation,
        InvitationStatus,
        InviteeRole,
        PairOutcome,
    )
    from matching.models import Candidate
    from partners.models import ContactPerson, Membership, Outreach, Resource
    from partners.reach.services import outreach_record
    from portal.models import Role, User, Ward

    rng = random.Random(ctx.seed + 40)  # noqa: S311  (demo data, not security)
    themes = []
    for order, name in enumerate(THEME_NAMES):
        theme, _created = EventTheme.objects.get_or_create(name=name, defaults={"order": order})
        themes.append(theme)
    coordinators = list(User.objects.filter(role=Role.COORDINATOR).order_by("username"))
    if not coordinators:
        return
    candidate_pairs = list(
        Candidate.objects.filter(shortlisted=True)
        .exclude(issue_id__in=kept_for_review())
        .select_related("issue", "resource__organization")
        .order_by("-issue_id", "rank")[:200]
    )
    if len(candidate_pairs) < 10:
        # No matching run yet: take issue ↔ resource pairs directly so the demo still has a programme.
        # Every n-th issue, so the events take a few from each ward, not a whole first ward.
        every = max(1, Issue.objects.count() // 60)
        issues = list(Issue.objects.exclude(pk__in=kept_for_review()).order_by("ref"))[::every][:60]
        resources = list(Resource.objects.select_related("organization").order_by("ref")[:60])
        pairs_source: list[tuple[Issue, Resource, Candidate | None]] = [
            (issue, resource, None)
            for issue, resource in zip(issues, rng.sample(resources, len(resources)), strict=False)
        ]
    else:
        pairs_source = [(c.issue, c.resource, c) for c in candidate_pairs]
    members: dict[int, list[User]] = {}
    for membership in Membership.objects.select_related("user"):
        members.setdefault(membership.organization_id, []).append(membership.user)
    contacts: dict[int, list[ContactPerson]] = {}
    for contact in ContactPerson.objects.order_by("pk"):
        contacts.setdefault(contact.organization_id, []).append(contact)
    wards = {w.code: w for w in Ward.objects.all()}
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    outcomes = [
        PairOutcome.DECIDED,
        PairOutcome.CONTINUE,
        PairOutcome.CONTINUE,
        PairOutcome.DROPPED,
    ]
    formats = ["venue", "venue", "online", "hybrid"]
    for months_back in range(20, -2, -1):
        year, month = today.year, today.month - months_back
        while month < 1:
            year, month = year - 1, month + 12
        while month > 12:
            year, month = year + 1, month - 12
        # One generator per month, so a second run makes the same choices for the same month.
        rng = random.Random(f"{ctx.seed}-events-{year}-{month}")  # noqa: S311
        per_month = rng.randint(3, 6) if months_back > 0 else 3
        for number in range(per_month):
            day = min(4 + number * 6 + rng.randint(0, 3), 28)
            starts = datetime.datetime(year, month, day, rng.choice([10, 14, 18]), 0, tzinfo=tz)
            theme = rng.choice(themes)
            coordinator = rng.choice(coordinators)
            fmt = rng.choice(formats)
            ref = f"demo-event-{year}{month:02d}-{number}"
            # The demo's key is an internal note: public pages never show it.
            event, created = Event.objects.get_or_create(
                internal_notes=f"[{ref}]",
                defaults={
                    "title": rng.choice(TITLES).format(theme=theme.name),
                    "theme": theme,
                    "format": fmt,
                    "venue": rng.choice(VENUES) if fmt != "online" else "",
                    "meeting_url": "https://meet.example.jp/renkei" if fmt != "venue" else "",
                    "description": "地域課題の担当者と企業・大学が直接話し合い、連携の可能性を探ります。",
                    "starts_at": starts,
                    "ends_at": starts + datetime.timedelta(hours=2),
                    "capacity": rng.choice([20, 30, 40]),
                    "registration_deadline": starts - datetime.timedelta(days=3),
                    "public": rng.random() < 0.4,
                    "created_by": coordinator,
                },
            )
            if number <= 2 and starts > timezone.now() and not event.resident_signup:
                # The first three events of each month ahead are open to residents, with a few
                # sign-ups (also in a database loaded before residents could sign up).
                event.public = event.resident_signup = True
                event.save(update_fields=["public", "resident_signup"])
                _resident_sign_ups(event, random.Random(f"{ctx.seed}-residents-{ref}"))  # noqa: S311
            if created:
                if coordinator.ward_id:
                    event.wards.add(coordinator.ward_id)
                elif "13101" in wards:
                    event.wards.add(wards["13101"])
            past = starts < timezone.now()
            if past and event.status == EventStatus.OPEN:
                event.status = EventStatus.CLOSED
                event.closed_at = starts + datetime.timedelta(hours=3)
                event.minutes = MINUTES
                event.save()
            if not pairs_source or event.pairs.exists():
                continue  # already complete (idempotent), or nothing to put on a programme yet
            # Only issues and organisations registered by then (a week ahead, to be invited).
            known = [
                pair
                for pair in pairs_source
                if max(pair[0].created_at, pair[1].organization.created_at)
                < starts - datetime.timedelta(days=7)
            ]
            chosen = rng.sample(known, min(len(known), rng.randint(2, 4)))
            for order, (issue, resource, candidate) in enumerate(chosen):
                EventPair.objects.get_or_create(
                    event=event,
                    issue=issue,
                    organization_id=resource.organization_id,
                    defaults={
                        "resource": resource,
                        "candidate": candidate,
                        "order": order,
                        "outcome": rng.choice(outcomes) if past else "",
                    },
                )
                org_id = resource.organization_id
                # Members are invited in the portal; an organisation without members through
                # its contacts' mailed links (partners.reach), as event_invite does.
                invitees: list[dict] = [
                    {"user": u, "role": InviteeRole.PARTNER, "organization_id": org_id}
                    for u in members.get(org_id, [])
                ] or [
                    {
                        "user": None,
                        "contact": c,
                        "role": InviteeRole.PARTNER,
                        "organization_id": org_id,
                    }
                    for c in contacts.get(org_id, [])
                ]
                outreach_record(
                    organization_id=org_id, topic=Outreach.Topic.EVENT, topic_id=event.pk
                )
                owner = issue.coordinator or coordinator
                invitees.append({"user": owner, "role": InviteeRole.OWNER})
                for invitee in invitees:
                    status = (
                        InvitationStatus.REGISTERED
                        if rng.random() < 0.8
                        else InvitationStatus.DECLINED
                    )
                    who = {k: invitee.pop(k) for k in ("user", "contact") if k in invitee}
                    invitation, made = Invitation.objects.get_or_create(
                        event=event, **who, defaults={**invitee, "status": status}
                    )
                    if made and status == InvitationStatus.REGISTERED:
                        invitation.checkin_code = f"D{event.pk:04d}{invitation.pk:05d}"[-12:]
                        if past:
                            invitation.checked_in_at = starts + datetime.timedelta(
                                minutes=rng.randint(-20, 10)
                            )
                            invitation.attended = True
                        invitation.save()
    _budgets_and_support(rng, coordinators, today)
    ctx.log(f"  matching events: {Event.objects.count()}")


RESIDENTS = [
    ("田中 美和", "miwa.tanaka@example.jp", "", 2, ""),
    ("Nguyen Van An", "an.nguyen@example.com", "", 1, "英語での案内を希望します。"),
    ("小川 正", "", "03-5555-0101", 1, "車いすで参加します。"),
    ("石井 家", "ishii.family@example.jp", "090-5555-0102", 3, ""),
]


def _resident_sign_ups(event, rng: random.Random) -> None:
    """A few residents with a seat on an upcoming public event (no mail: demo data)."""
    from matching.events.models import Invitation, InvitationStatus, InviteeRole
    from portal.bookings import receipt_number_free
    from portal.identifiers import email_key, phone_key

    for name, email, phone, party, needs in rng.sample(RESIDENTS, 2):
        Invitation.objects.get_or_create(
            event=event,
            user=None,
            name=name,
            defaults={
                "role": InviteeRole.RESIDENT,
                "email": email,
                "phone": phone,
                "email_key": email_key(email),
                "phone_key": phone_key(phone),
                "party_size": party,
                "accessibility_needs": needs,
                "language": "en" if email.endswith(".com") else "ja",
                "status": InvitationStatus.REGISTERED,
                "responded_at": timezone.now(),
                "checkin_code": receipt_number_free(Invitation, "checkin_code"),
            },
        )


def _budgets_and_support(rng: random.Random, coordinators: list, today: datetime.date) -> None:
    from matching.projects.models import CoordinatorBudget, ExternalSupport, Project
    from matching.projects.services import grant_award

    fiscal_year = fiscal_year_of(today)
    projects = list(Project.objects.order_by("pk")[:12])
    for coordinator in coordinators:
        budget, created = CoordinatorBudget.objects.get_or_create(
            coordinator=coordinator, fiscal_year=fiscal_year, defaults={"amount": 500_000}
        )
        if created and projects:
            for project in rng.sample(projects, min(2, len(projects))):
                # Through the service: the grant is added to the project's 公的負担.
                grant_award(
                    budget=budget,
                    data={
                        "project": project,
                        "amount": rng.choice([50_000, 80_000, 120_000]),
                        "purpose": rng.choice(
                            ["講師謝礼", "会場費", "広報チラシの印刷", "試行用の機材"]
                        ),
                        "awarded_on": max(
                            datetime.date(fiscal_year, 4, 1), today - datetime.timedelta(days=30)
                        ),
                    },
                    created_by=coordinator,
                )
    bodies = [
        ("NPO法人まちつなぎ", "intermediary", "住民説明会の企画・運営と参加者募集"),
        ("株式会社地域共創コンサルティング", "consultancy", "事業計画と評価指標の設計支援"),
        ("一般社団法人ひろばネット", "other", "地域団体とのネットワークづくり"),
    ]
    for project, (name, kind, what) in zip(projects[:3], bodies, strict=False):
        ExternalSupport.objects.get_or_create(
            project=project,
            body_name=name,
            defaults={"body_type": kind, "description": what, "started_on": project.start_date},
        )
