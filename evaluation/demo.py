"""Demo data of the evaluation system (order 50: after users, partners, issues and matching).

Idempotent (every row is found by a stable key before it is created) and deterministic.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from evaluation.committee import demo as committee_demo
from evaluation.feed import device_feed_create
from evaluation.kpi import demo as usage_demo
from evaluation.models import (
    CaseReuse,
    CaseStudy,
    CommitteeMember,
    ConflictOfInterest,
    Continuation,
    DeviceFeed,
    FeedDelivery,
    ImprovementAction,
    IndicatorDefinition,
    Measurement,
    PaymentSchedule,
    ProjectIndicator,
    ReportFile,
    ReportIssuer,
    Review,
    SatisfactionSurvey,
)
from evaluation.questionnaires import demo as questionnaire_demo
from evaluation.services import (
    INDICATOR_FIELDS,
    continuation_due_date,
    report_build,
    report_publish,
)
from matching.projects.models import PROJECT_UNDERWAY, Project
from partners.models import Organization, OrgStatus
from portal.demo.history import tokyo_at
from portal.fiscal import current_fiscal_year, datetime_range
from portal.models import Field, Role, User, Ward
from portal.registry import DemoContext

# (field, name, level, kind, term, unit, baseline, target, higher_is_better)
LIBRARY = [
    ("高齢者支援", "見守り訪問件数", "output", "quantitative", "short", "件/月", 0, 120, True),
    (
        "高齢者支援",
        "孤立リスクのある高齢者世帯数",
        "outcome",
        "quantitative",
        "mid",
        "世帯",
        180,
        120,
        False,
    ),
    ("高齢者支援", "通いの場の参加者数", "output", "quantitative", "short", "人/月", 20, 60, True),
    ("高齢者支援", "本人・家族の安心感", "impact", "qualitative", "long", "", None, None, True),
    ("子育て支援", "一時預かりの利用件数", "output", "quantitative", "short", "件/月", 0, 80, True),
    (
        "子育て支援",
        "子育ての孤立感を感じる保護者の割合",
        "outcome",
        "quantitative",
        "mid",
        "%",
        42,
        25,
        False,
    ),
    ("子育て支援", "保護者同士のつながり", "impact", "qualitative", "long", "", None, None, True),
    (
        "教育・人材育成",
        "学習支援の参加児童数",
        "output",
        "quantitative",
        "short",
        "人/月",
        10,
        40,
        True,
    ),
    (
        "教育・人材育成",
        "学習習慣が身についた児童の割合",
        "outcome",
        "quantitative",
        "mid",
        "%",
        35,
        60,
        True,
    ),
    (
        "環境・エネルギー",
        "回収した資源ごみ",
        "output",
        "quantitative",
        "short",
        "kg/月",
        0,
        500,
        True,
    ),
    ("環境・エネルギー", "CO2削減量", "impact", "quantitative", "long", "t-CO2", 0, 30, True),
    ("防災・安全", "防災訓練の参加者数", "output", "quantitative", "short", "人", 50, 300, True),
    (
        "防災・安全",
        "避難行動要支援者の個別計画作成率",
        "outcome",
        "quantitative",
        "mid",
        "%",
        20,
        70,
        True,
    ),
    (
        "DX・デジタル",
        "スマホ相談会の参加者数",
        "output",
        "quantitative",
        "short",
        "人/月",
        0,
        50,
        True,
    ),
    ("DX・デジタル", "オンライン申請の利用率", "outcome", "quantitative", "mid", "%", 18, 40, True),
    (
        "地域経済・産業",
        "商店街の来街者数",
        "outcome",
        "quantitative",
        "mid",
        "人/日",
        1200,
        1500,
        True,
    ),
    (
        "多文化共生",
        "やさしい日本語講座の受講者数",
        "output",
        "quantitative",
        "short",
        "人",
        0,
        120,
        True,
    ),
    (
        "まちづくり・都市計画",
        "空き家の活用件数",
        "output",
        "quantitative",
        "short",
        "件",
        0,
        10,
        True,
    ),
    ("健康・福祉", "健康ポイント参加者数", "output", "quantitative", "short", "人", 0, 800, True),
]

# Used only when matching's demo has not created any project.
FALLBACK_PROJECTS = [
    ("高齢者見守りネットワーク（千代田）", "13101", "高齢者支援", datetime.date(2024, 5, 1), None),
    ("親子の居場所づくり（世田谷）", "13112", "子育て支援", datetime.date(2024, 7, 1), None),
    (
        "放課後学習支援（足立）",
        "13121",
        "教育・人材育成",
        datetime.date(2024, 9, 1),
        datetime.date(2026, 3, 31),
    ),
    ("スマホ相談会（新宿）", "13104", "DX・デジタル", datetime.date(2025, 4, 15), None),
    ("防災マップ共同作成（墨田）", "13107", "防災・安全", datetime.date(2025, 6, 1), None),
    ("資源回収と環境学習（江東）", "13108", "環境・エネルギー", datetime.date(2025, 10, 1), None),
    ("商店街のにぎわい再生（中野）", "13114", "地域経済・産業", datetime.date(2026, 4, 1), None),
    ("多言語の生活ガイド（豊島）", "13116", "多文化共生", datetime.date(2026, 5, 10), None),
]

RECOMMENDATIONS = [
    "成果指標の測定方法を年度当初に統一すること",
    "住民への周知を町会・自治会経由でも行うこと",
    "連携団体との定例会議の記録を共有すること",
    "受益者アンケートの回収率を高める工夫をすること",
    "次年度以降の費用負担の見通しを明確にすること",
    "他区への横展開を見据えて手順書を整備すること",
]

SURVEY_COMMENTS = [
    "課題と企業の情報が一か所で見られて便利です。",
    "マッチングの提案理由が分かりやすかった。",
    "申請の入力項目がもう少し少ないとよい。",
    "イベントで直接話せたのが良かった。",
    "",
]


def load(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 50)  # noqa: S311 — demo data, not security
    today = timezone.localdate()
    _library()
    # The reports' cover names an issuer; a fictional office and a number reserved for drama.
    ReportIssuer.objects.get_or_create(
        pk=1,
        defaults={
            "issuer": "特別区 地域連携推進協議会",
            "department": "事務局（評価担当）",
            "contact": "03-5555-0123",
        },
    )
    activity, probes = usage_demo.load(today)
    ctx.log(f"evaluation: {activity} days of sign-in activity, {probes} health probes added")
    projects = _projects()
    if not projects:
        ctx.log("evaluation: no projects to attach demo data to")
        return
    for project in projects:
        _indicators_and_measurements(project, rng, today)
    _surveys(projects, rng, today)
    members = _committee(projects)
    _reviews(projects, members, rng, today)
    committee_demo.opinions(projects, today)
    questionnaire_demo.load(projects, rng, today)
    _continuations(projects, today)
    _cases(projects)
    _payments(projects[0], today)
    _feeds(projects, rng, today)
    published = _published_report()
    ctx.log(f"evaluation: demo data for {len(projects)} projects; {published}")


def _published_report() -> str:
    """The last complete 年度's annual report, published on 30 June after it (as wards publish
    theirs), so the public results page has one to download and the KPI 評価報告書の公表数
    counts it: the CSV always, the PDF where the server has its Japanese font (built here)."""
    from evaluation.report import ReportFontsMissing, font_paths

    fiscal_year = current_fiscal_year() - 1
    formats = ["csv"]
    try:
        font_paths()
        formats.append("pdf")
    except ReportFontsMissing:
        pass
    evaluator = User.objects.filter(role=Role.EVALUATOR).order_by("pk").first()
    day = min(datetime.date(fiscal_year + 1, 6, 30), timezone.localdate())
    published_at = tokyo_at(day)
    made = []
    for fmt in formats:
        report, _created = ReportFile.objects.get_or_create(
            fiscal_year=fiscal_year,
            quarter=None,
            ward=None,
            format=fmt,
            defaults={"language": "ja", "created_by": evaluator},
        )
        if report.published_at is None:
            report_publish(report=report_build(report=report))
            ReportFile.objects.filter(pk=report.pk).update(published_at=published_at)
        made.append(fmt.upper())
    return f"the annual report of FY{fiscal_year} published ({', '.join(made)})"


def _library() -> None:
    fields = {f.name: f for f in Field.objects.all()}
    for name_field, name, level, kind, term, unit, baseline, target, higher in LIBRARY:
        if name_field not in fields:
            continue
        IndicatorDefinition.objects.update_or_create(
            field=fields[name_field],
            name=name,
            defaults={
                "level": level,
                "kind": kind,
                "term": term,
                "unit": unit,
                "baseline": baseline,
                "target": target,
                "higher_is_better": higher,
            },
        )


def _projects() -> list[Project]:
    existing = list(Project.objects.order_by("start_date", "title")[:40])
    if existing:
        return existing
    wards = {w.code: w for w in Ward.objects.all()}
    fields = {f.name: f for f in Field.objects.all()}
    orgs = list(Organization.objects.filter(status=OrgStatus.APPROVED).order_by("name")[:8])
    for index, (title, ward_code, field_name, start, end) in enumerate(FALLBACK_PROJECTS):
        ward = wards.get(ward_code)
        coordinator = (
            User.objects.filter(role=Role.COORDINATOR, ward=ward).order_by("username").first()
            or User.objects.filter(role=Role.COORDINATOR).order_by("username").first()
        )
        status = Project.Status.PILOT
        if end and end < timezone.localdate():
            status = Project.Status.COMPLETED
        elif start > timezone.localdate():
            status = Project.Status.PREPARING
        project, created = Project.objects.get_or_create(
            title=title,
            defaults={
                "summary": f"{field_name}の分野で、区と企業・大学が連携して取り組む事業です。",
                "ward": ward,
                "field": fields.get(field_name),
                "coordinator": coordinator,
                "start_date": start,
                "end_date": end,
                "status": status,
                "public_cost": 1_200_000 + index * 300_000,
                "partner_cost": 800_000 + index * 150_000,
                "in_kind_value": 400_000 + index * 100_000,
                "participants": 40 + index * 12,
                "beneficiaries": 150 + index * 40,
            },
        )
        if created and orgs:
            project.organizations.add(orgs[index % len(orgs)])
    return list(Project.objects.order_by("start_date", "title")[:40])


def _definitions_for(project: Project) -> list[IndicatorDefinition]:
    defs = list(IndicatorDefinition.objects.filter(field=project.field).order_by("level", "name"))
    if not defs:
        defs = list(IndicatorDefinition.objects.order_by("field__order", "name")[:2])
    return defs[:3]


def _indicators_and_measurements(
    project: Project, rng: random.Random, today: datetime.date
) -> None:
    last = min(project.end_date or today, today)
    for definition in _definitions_for(project):
        indicator, _created = ProjectIndicator.objects.get_or_create(
            project=project,
            name=definition.name,
            defaults={
                **{name: getattr(definition, name) for name in INDICATOR_FIELDS},
                "definition": definition,
            },
        )
        if indicator.measurements.exists() or project.start_date > last:
            continue
        start_value = float(definition.baseline or 0) or float(definition.target or 10) * 0.3
        goal = float(definition.target or start_value * 1.5)
        day = project.start_date + datetime.timedelta(days=14)
        months = 0
        rows = []
        while day <= last:
            progress = min(1.0, months / 18)
            if indicator.kind == "quantitative":
                noise = rng.uniform(-0.05, 0.05) * max(abs(goal), 1)
                value = (
                    start_value + (goal - start_value) * progress * rng.uniform(0.6, 1.0) + noise
                )
                rows.append(
                    Measurement(
                        indicator=indicator,
                        measured_on=day,
                        value=Decimal(str(round(max(value, 0), 1))),
                        source=rng.choice(["manual", "manual", "survey", "csv", "device"]),
                    )
                )
            elif months % 6 == 0:
                rows.append(
                    Measurement(
                        indicator=indicator,
                        measured_on=day,
                        text=rng.choice(
                            [
                                "参加者から「顔見知りが増えた」との声が多く聞かれた。",
                                "関係者の連絡体制が定着し、相談が早く届くようになった。",
                                "当初の想定より参加が伸びず、周知方法を見直している。",
                            ]
                        ),
                        source="survey",
                    )
                )
            months += 3
            day = _add_months(project.start_date, months) + datetime.timedelta(days=14)
        Measurement.objects.bulk_create(rows)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


def _surveys(projects: list[Project], rng: random.Random, today: datetime.date) -> None:
    # Paper responses typed in (questionnaire answers have their response and are not these).
    typed_in = SatisfactionSurvey.objects.filter(response__isnull=True)
    for fy in (2024, 2025, 2026):
        for index in range(12):
            day = datetime.date(fy, 4, 1) + datetime.timedelta(days=index * 29 + 3)
            if day > today:
                break
            typed_in.get_or_create(
                project=None,
                answered_on=day,
                respondent_type=["resident", "partner", "staff"][index % 3],
                defaults={
                    "score": rng.choice([3, 4, 4, 4, 5, 5]),
                    "comment": SURVEY_COMMENTS[index % len(SURVEY_COMMENTS)],
                },
            )
    for project in projects[:6]:
        day = project.start_date + datetime.timedelta(days=200)
        if day > today:
            continue
        for index, kind in enumerate(["resident", "resident", "partner", "staff"]):
            typed_in.get_or_create(
                project=project,
                answered_on=day + datetime.timedelta(days=index),
                respondent_type=kind,
                defaults={"score": rng.choice([3, 4, 4, 5]), "comment": ""},
            )


def _committee(projects: list[Project]) -> list[CommitteeMember]:
    members = committee_demo.members()
    ConflictOfInterest.objects.get_or_create(
        member=members[3],
        project=projects[0],
        defaults={
            "reason": "連携団体の商工団体に所属しているため",
            "declared_on": datetime.date(2024, 4, 10),
        },
    )
    return members


def _reviews(
    projects: list[Project],
    members: list[CommitteeMember],
    rng: random.Random,
    today: datetime.date,
) -> None:
    conflicted = set(ConflictOfInterest.objects.values_list("member_id", "project_id"))
    recommendation = 0
    for fy in (2024, 2025):
        reviewed_on = datetime.date(fy + 1, 2, 20)
        if reviewed_on > today:
            continue
        for p_index, project in enumerate(projects):
            if project.start_date > datetime.date(fy + 1, 1, 31):
                continue
            kind = "midterm" if fy == project.start_date.year else "annual"
            reviewers = [m for m in members if (m.pk, project.pk) not in conflicted][:3]
            base = rng.choice([3, 4, 4, 5])
            for m_index, member in enumerate(reviewers):
                review, _created = Review.objects.get_or_create(
                    project=project,
                    member=member,
                    kind=kind,
                    fiscal_year=fy,
                    defaults={
                        "score": base,
                        "comment": "目標に向けて着実に進んでいる。指標の測定を継続されたい。",
                        "reviewed_on": reviewed_on,
                    },
                )
                committee_demo.rubric_scores(review, rng, base)
                if m_index != 0:
                    continue
                text = RECOMMENDATIONS[recommendation % len(RECOMMENDATIONS)]
                recommendation += 1
                implemented = fy == 2024 or p_index % 3 != 0
                ImprovementAction.objects.get_or_create(
                    review=review,
                    recommendation=text,
                    defaults={
                        "due_date": datetime.date(fy + 1, 9, 30),
                        "status": "implemented"
                        if implemented
                        else ("not_implemented" if fy == 2024 else "open"),
                        "decided_on": datetime.date(fy + 1, 7, 31) if implemented else None,
                        "note": "対応方針を定例会議で決定し、実施した。" if implemented else "",
                    },
                )


def _continuations(projects: list[Project], today: datetime.date) -> None:
    # Leave the latest due checkpoint unrecorded so the reminder list has something to show.
    due = []
    for project in projects:
        for years in (1, 2):
            when = continuation_due_date(project=project, years=years)
            if when <= today:
                due.append((when, project, years))
    due.sort(key=lambda item: (item[0], item[1].pk))
    for index, (when, project, years) in enumerate(due[:-1]):
        state = ["continued", "developed", "continued", "ended"][index % 4]
        if project.status in PROJECT_UNDERWAY and state == "ended":
            state = "continued"
        Continuation.objects.get_or_create(
            project=project,
            years=years,
            defaults={"state": state, "recorded_on": when + datetime.timedelta(days=5)},
        )


def _cases(projects: list[Project]) -> None:
    wards = list(Ward.objects.order_by("code"))
    specs = [
        (
            0,
            "best",
            "町会と企業の見守りネットワーク",
            ["resident", "coordinator", "clear_goal"],
            [],
            True,
            3,
        ),
        (1, "best", "空き店舗を使った親子の居場所", ["leadership", "funding"], [], True, 2),
        (
            2,
            "failure",
            "参加が伸びなかった学習支援の初年度",
            [],
            ["expectation", "communication"],
            True,
            0,
        ),
        (3, "best", "学生ボランティアによるスマホ相談", ["capacity", "data"], [], False, 1),
    ]
    for index, kind, title, success, failure, published, reuse_count in specs:
        if index >= len(projects):
            break
        project = projects[index]
        case, _created = CaseStudy.objects.get_or_create(
            project=project,
            title=title,
            defaults={
                "kind": kind,
                "summary": f"{project.title}の取り組みから得られた知見をまとめました。",
                "success_factors": success,
                "failure_factors": failure,
                "factors_note": "区の担当課とコーディネーターが月1回の定例会で進捗を確認した。",
                "lessons": "開始前に関係者で目標と役割を文書にしておくことが重要。",
                "published": published,
            },
        )
        others = [w for w in wards if w.pk != project.ward_id]
        for n in range(reuse_count):
            CaseReuse.objects.get_or_create(
                case=case,
                ward=others[(index * 5 + n * 7) % len(others)],
                defaults={"reused_on": project.start_date + datetime.timedelta(days=400 + n * 60)},
            )


def _payments(project: Project, today: datetime.date) -> None:
    indicator = project.indicators.filter(kind="quantitative").order_by("pk").first()
    if indicator is None:
        return
    target = indicator.target or Decimal(100)
    for months, share, amount in [(12, Decimal("0.5"), 500_000), (24, Decimal("1.0"), 1_000_000)]:
        PaymentSchedule.objects.get_or_create(
            project=project,
            indicator=indicator,
            verification_date=_add_months(project.start_date, months),
            defaults={
                "threshold": (indicator.baseline or 0)
                + (target - (indicator.baseline or 0)) * share
                if indicator.higher_is_better
                else target,
                "amount": amount,
                "note": "成果連動型委託（SIBパイロット）",
            },
        )


def _feeds(projects: list[Project], rng: random.Random, today: datetime.date) -> None:
    """Two sensor feeds delivering daily since FY2024, with the odd missed day, for the
    measurement-system availability KPI (the feed's token is never shown: demo only)."""
    running = [p for p in projects if p.status == Project.Status.PILOT][:2]
    for index, project in enumerate(running):
        name = ["見守りセンサー", "来場者カウンター"][index]
        if DeviceFeed.objects.filter(project=project, name=name).exists():
            continue
        feed, _token = device_feed_create(project=project, name=name)
        first_day = datetime.date(2024, 6, 1 + index)
        start, _end = datetime_range(first_day, first_day)
        DeviceFeed.objects.filter(pk=feed.pk).update(created_at=start)
        days = (today - first_day).days
        FeedDelivery.objects.bulk_create(
            [
                FeedDelivery(
                    feed=feed, interval_start=start + datetime.timedelta(days=n), batches=1
                )
                for n in range(days)
                if rng.random() > 0.03 * (index + 1)
            ]
        )
