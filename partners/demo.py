"""Demo registry: ~150 organisations of every kind and ~300 resources, with partner accounts.

Idempotent (organisations by name, resources by ref, accounts by username) and deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import cast

from django.utils import timezone

from partners.models import (
    ContactPerson,
    Membership,
    Motive,
    Organization,
    OrgSize,
    OrgStatus,
    OrgType,
    Resource,
)
from partners.services import organization_search_refresh
from partners.validators import corporate_number_check_digit
from portal.choices import ResourceKind
from portal.demo.history import ORGANISATIONS_FROM, backdate, registration_days
from portal.fiscal import fiscal_year_of, fiscal_year_range
from portal.models import Field, Role, User, Ward
from portal.registry import DemoContext

AREAS = [
    "みなと",
    "城南",
    "東都",
    "隅田",
    "荒川",
    "江東",
    "目黒",
    "世田谷",
    "品川",
    "新宿",
    "渋谷",
    "中野",
    "板橋",
    "練馬",
    "葛飾",
    "足立",
    "豊島",
    "文京",
    "台東",
    "大田",
    "杉並",
    "日本橋",
    "神田",
    "上野",
    "浅草",
    "池袋",
    "蒲田",
    "赤羽",
    "湾岸",
    "武蔵野",
]
LARGE_TRADES = [
    "デジタルソリューションズ",
    "電機",
    "建設",
    "不動産",
    "食品",
    "物流",
    "製薬",
    "情報システム",
    "エナジー",
    "銀行",
    "損害保険",
    "鉄道",
    "通信",
    "化学",
    "ハウジング",
    "百貨店",
    "商事",
    "ホールディングス",
    "ヘルスケア",
    "モビリティ",
]
SME_TRADES = [
    "精機",
    "金属工業",
    "印刷",
    "工務店",
    "製菓",
    "設計事務所",
    "ソフトウェア",
    "介護サービス",
    "造園",
    "縫製",
    "酒販",
    "テクノ",
    "メディカル",
    "フーズ",
    "クリーニング",
    "電設",
]
NATIONAL_UNIVERSITIES = [
    "東京湾岸大学",
    "首都科学大学",
    "東都医療大学",
    "東京臨海工科大学",
    "都市環境大学",
    "東京国際教養大学",
    "関東芸術大学",
    "東京総合福祉大学",
]
PRIVATE_UNIVERSITIES = [
    "城南工業大学",
    "隅田川女子大学",
    "武蔵野国際大学",
    "江東福祉大学",
    "目黒情報大学",
    "神田外語学院大学",
    "上野芸術大学",
    "池袋経済大学",
    "蒲田看護大学",
    "世田谷教育大学",
    "赤羽工科大学",
    "品川デザイン大学",
    "文京人間科学大学",
    "浅草観光大学",
    "練馬農業大学",
    "足立保健医療大学",
    "中野メディア大学",
    "板橋健康科学大学",
    "台東文化大学",
    "大田ものづくり大学",
]
RESEARCH = [
    "東京都市環境研究所",
    "地域防災研究センター",
    "首都圏高齢社会研究機構",
    "東京湾岸エネルギー研究所",
    "こども未来研究所",
    "都市交通研究センター",
    "多文化社会研究所",
    "地域経済研究所",
    "ヘルスデータ研究機構",
    "まちづくり総合研究所",
    "東京水環境研究所",
    "デジタル行政研究センター",
]
NPO_THEMES = [
    "子育てネット",
    "見守りの会",
    "まちづくり協議会",
    "フードバンク",
    "多文化共生センター",
    "防災ネットワーク",
    "こども食堂ネット",
    "環境フォーラム",
    "シニア活躍センター",
    "障がい者就労支援センター",
    "学習支援の会",
    "商店街サポーターズ",
]
NPO_AREAS = [
    "すぎなみ",
    "ねりま",
    "いたばし",
    "かつしか",
    "あだち",
    "せたがや",
    "めぐろ",
    "しながわ",
    "おおた",
    "なかの",
    "としま",
    "ぶんきょう",
    "たいとう",
    "すみだ",
    "こうとう",
    "あらかわ",
    "きた",
    "えどがわ",
    "しんじゅく",
    "しぶや",
    "みなと",
    "ちよだ",
    "ちゅうおう",
]
NPO_WARDS = dict(
    zip(
        NPO_AREAS,
        [
            "13115",
            "13120",
            "13119",
            "13122",
            "13121",
            "13112",
            "13110",
            "13109",
            "13111",
            "13114",
            "13116",
            "13105",
            "13106",
            "13107",
            "13108",
            "13118",
            "13117",
            "13123",
            "13104",
            "13113",
            "13103",
            "13101",
            "13102",
        ],
        strict=True,
    )
)

# field name → (short, long phrase, SDGs)
TOPICS = {
    "高齢者支援": ("高齢者の見守り", "高齢者の見守りや買い物支援", [3, 11]),
    "子育て支援": ("子育て支援", "子育て家庭の孤立防止や放課後の居場所づくり", [1, 4]),
    "環境・エネルギー": ("脱炭素・環境", "省エネルギーや資源循環", [7, 12, 13]),
    "防災・安全": ("地域防災", "災害時の備えと避難所運営", [11, 13]),
    "DX・デジタル": ("地域のDX", "地域団体や窓口業務のデジタル化", [9, 17]),
    "まちづくり・都市計画": ("まちづくり", "商店街の活性化や公共空間の活用", [11]),
    "教育・人材育成": ("教育・キャリア", "子どもの学びや若者のキャリア形成", [4, 8]),
    "健康・福祉": ("健康づくり", "健康づくりや介護予防", [3]),
    "地域経済・産業": ("地域産業", "区内の中小事業者の販路開拓や事業承継", [8, 9]),
    "多文化共生": ("多文化共生", "外国人住民の生活支援や日本語学習", [10, 16]),
}

TEMPLATES = {
    ResourceKind.TECHNOLOGY: [
        (
            "{short}に役立つデジタル技術の提供",
            "当社のエンジニアが{long}に関する業務のデジタル化を支援します。現場の聞き取りから簡単な仕組みの試作まで対応できます。導入後は職員や地域の方向けの操作研修も行います。",
        ),
        (
            "{short}向けセンサー・IoT機器の貸与",
            "自社製のセンサーや通信機器を無償で貸し出し、{long}の実証に使っていただけます。設置と初期設定は当社の技術者が行います。取得したデータは区と共有し、効果の検証に活用できます。",
        ),
        (
            "{short}の業務改善ノウハウ",
            "製造現場で培った業務改善の手法を、{long}に取り組む団体の運営に応用します。作業の流れを一緒に整理し、負担の少ないやり方を提案します。",
        ),
    ],
    ResourceKind.PEOPLE: [
        (
            "社員ボランティアによる{short}活動",
            "年間を通じて社員ボランティアを派遣し、{long}の活動をお手伝いします。土日の地域行事にも対応できます。活動内容は事前に打ち合わせのうえ決めます。",
        ),
        (
            "専門人材による{short}のアドバイス",
            "経理・広報・ITなどの専門知識をもつ社員が、{long}に取り組む団体の運営相談に応じます。月1回程度のオンライン面談から始められます。",
        ),
        (
            "{short}の担い手となる会員の派遣",
            "当会の会員が{long}の現場に参加します。地域の事情に詳しいメンバーが多く、住民との橋渡し役も担えます。",
        ),
    ],
    ResourceKind.FUNDING: [
        (
            "{short}に取り組む団体への助成",
            "{long}に取り組む区内の団体・プロジェクトに助成します。申請は年2回受け付けています。採択後は成果報告会への参加をお願いしています。",
        ),
        (
            "{short}プロジェクトへの協賛",
            "{long}に関するイベントや実証事業に協賛金を提供します。金額は内容に応じてご相談のうえ決めます。",
        ),
    ],
    ResourceKind.FACILITY: [
        (
            "会議室・多目的ホールの無償貸出",
            "本社ビルの多目的ホールと会議室を、{long}に関する地域の会合や講座にお貸しします。平日夜間と土曜日に利用できます。プロジェクターと音響設備も使えます。",
        ),
        (
            "キャンパス施設の地域開放（{short}）",
            "講義室・体育館・調理実習室などを、{long}の活動の場として地域に開放します。大学行事のない期間に利用できます。",
        ),
        (
            "災害時の一時避難スペースと備蓄品の提供",
            "災害時には社屋の一部を一時避難スペースとして開放し、備蓄している飲料水や毛布を提供します。平時には{long}の訓練会場としても使えます。",
        ),
    ],
    ResourceKind.NETWORK: [
        (
            "取引先ネットワークを生かした{short}の橋渡し",
            "全国の取引先や業界団体とのつながりを生かし、{long}に必要な企業・専門家をご紹介します。マッチング後の初回打ち合わせにも同席します。",
        ),
        (
            "地域団体のネットワークによる{short}の連携",
            "区内の町会・自治会や福祉団体とのつながりを生かし、{long}の取り組みを地域に広げます。チラシの配布や説明会の開催にも協力できます。",
        ),
    ],
    ResourceKind.RESEARCH: [
        (
            "{short}に関する共同研究",
            "研究室で{long}に関する調査・分析を行っています。区の統計データや現場の課題を題材にした共同研究を歓迎します。成果は報告書と公開シンポジウムで地域に還元します。",
        ),
        (
            "{short}の効果測定・評価手法",
            "{long}の取り組みについて、アンケート設計から効果の統計分析までを支援します。評価指標の設定に悩む事業の立ち上げ期に特に役立ちます。",
        ),
    ],
    ResourceKind.STUDENTS: [
        (
            "学生による{short}プロジェクト",
            "ゼミの授業として、学生が{long}の課題に半期かけて取り組みます。フィールドワークと住民への聞き取りを行い、最終回に提案を発表します。",
        ),
        (
            "学生ボランティアの派遣（{short}）",
            "ボランティアセンターを通じて、{long}の活動に学生ボランティアを派遣します。長期休暇中は平日の活動にも参加できます。",
        ),
    ],
}

KINDS_BY_TYPE = {
    OrgType.COMPANY: [
        ResourceKind.TECHNOLOGY,
        ResourceKind.PEOPLE,
        ResourceKind.FUNDING,
        ResourceKind.FACILITY,
        ResourceKind.NETWORK,
    ],
    OrgType.UNIVERSITY: [
        ResourceKind.RESEARCH,
        ResourceKind.STUDENTS,
        ResourceKind.FACILITY,
        ResourceKind.PEOPLE,
    ],
    OrgType.RESEARCH: [ResourceKind.RESEARCH, ResourceKind.TECHNOLOGY, ResourceKind.NETWORK],
    OrgType.NPO: [ResourceKind.PEOPLE, ResourceKind.NETWORK, ResourceKind.FACILITY],
}

CSR = {
    OrgType.COMPANY: [
        "「地域とともに成長する」を基本方針に、本業の技術と社員の力を地域課題の解決に生かします。",
        "SDGsへの貢献を経営計画に位置づけ、特に{long}の分野で自治体との連携を進めています。",
        "社員一人ひとりが年1日以上の地域貢献活動に参加することを目標にしています。",
    ],
    OrgType.UNIVERSITY: [
        "地域連携を教育・研究と並ぶ大学の使命と位置づけ、学生と教員が地域に出向いて学ぶ機会を広げています。",
        "地域連携センターを窓口に、{long}をテーマとした共同研究や授業連携を進めています。",
    ],
    OrgType.RESEARCH: [
        "研究成果を行政と地域に還元することを設立目的の一つとしています。",
        "{long}に関するデータと知見を、区の政策づくりに役立てていただくことを目指しています。",
    ],
    OrgType.NPO: [
        "地域の住民が主役となる活動を大切にし、行政や企業と力を合わせて課題の解決に取り組みます。",
        "{long}の現場で活動してきた経験を生かし、支援が届きにくい人に寄り添います。",
    ],
}

CONTACT_NAMES = [
    "佐藤 健太",
    "鈴木 美咲",
    "高橋 拓也",
    "田中 優子",
    "伊藤 大輝",
    "渡辺 真由美",
    "山本 翔太",
    "中村 彩",
    "小林 誠",
    "加藤 由紀",
    "吉田 健",
    "山田 花子",
    "佐々木 亮",
    "山口 恵",
    "松本 直樹",
    "井上 愛",
    "木村 大介",
    "林 さやか",
    "斎藤 浩二",
    "清水 麻衣",
]
CONTACT_ROLES = {
    OrgType.COMPANY: ["CSR推進室", "サステナビリティ推進部", "総務部 地域連携担当", "経営企画部"],
    OrgType.UNIVERSITY: ["地域連携センター", "社会連携推進課", "研究推進課"],
    OrgType.RESEARCH: ["企画調整室", "研究員"],
    OrgType.NPO: ["理事長", "事務局長", "コーディネーター"],
}


def _corporate_number(rng: random.Random) -> str:
    base = "".join(str(rng.randint(0, 9)) for _ in range(12))
    return f"{corporate_number_check_digit(base)}{base}"


def _catalogue(rng: random.Random) -> list[dict]:
    """The 150 organisations: (name, type, size) and a home ward, in a stable order."""
    codes = list(NPO_WARDS.values())
    orgs: list[dict] = [
        {
            "name": "株式会社みなとデジタルソリューションズ",
            "type": OrgType.COMPANY,
            "size": OrgSize.SME,
            "ward": "13103",
        },
    ]
    names = {orgs[0]["name"]}
    areas = list(AREAS)
    rng.shuffle(areas)
    for index, trade in enumerate(LARGE_TRADES + LARGE_TRADES[:10]):
        name = f"株式会社{areas[index % len(areas)]}{trade}"
        if name not in names:
            names.add(name)
            orgs.append({"name": name, "type": OrgType.COMPANY, "size": OrgSize.LARGE})
    for index in range(45):
        area = areas[(index * 7) % len(areas)]
        trade = SME_TRADES[index % len(SME_TRADES)]
        name = f"{area}{trade}株式会社" if index % 3 else f"有限会社{area}{trade}"
        if name not in names:
            names.add(name)
            orgs.append({"name": name, "type": OrgType.COMPANY, "size": OrgSize.SME})
    for name in NATIONAL_UNIVERSITIES:
        orgs.append({"name": name, "type": OrgType.UNIVERSITY, "size": OrgSize.NATIONAL_PUBLIC})
    for name in PRIVATE_UNIVERSITIES:
        orgs.append({"name": name, "type": OrgType.UNIVERSITY, "size": OrgSize.PRIVATE})
    for index, name in enumerate(RESEARCH):
        prefix = "一般財団法人" if index % 2 else "公益財団法人"
        orgs.append({"name": f"{prefix}{name}", "type": OrgType.RESEARCH, "size": OrgSize.OTHER})
    for index in range(35):
        area = NPO_AREAS[index % len(NPO_AREAS)]
        theme = NPO_THEMES[(index * 5) % len(NPO_THEMES)]
        name = f"NPO法人{area}{theme}"
        if name not in names:
            names.add(name)
            orgs.append(
                {
                    "name": name,
                    "type": OrgType.NPO,
                    "size": OrgSize.SMALL_GROUP,
                    "ward": NPO_WARDS[area],
                }
            )
    for org in orgs:
        org.setdefault("ward", rng.choice(codes))
    return orgs


def load(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 10)  # noqa: S311  # deterministic demo data
    wards = {w.code: w for w in Ward.objects.all()}
    fields = {f.name: f for f in Field.objects.all()}
    topic_names = [name for name in TOPICS if name in fields]
    today = timezone.localdate()
    fy_start, _fy_end = fiscal_year_range(fiscal_year_of(today))
    catalogue = _catalogue(rng)
    # A few registrations waiting for review, and one asked for changes.
    pending = {len(catalogue) - 3, len(catalogue) - 9, 52, 70, 101}
    changes = {len(catalogue) - 15}
    org_ids: list[int] = []
    resource_number = 0
    for index, entry in enumerate(catalogue):
        org_type = entry["type"]
        topics = rng.sample(topic_names, k=2)
        long_phrase = TOPICS[topics[0]][1]
        status = OrgStatus.APPROVED
        if index in pending:
            status = OrgStatus.PENDING
        elif index in changes:
            status = OrgStatus.CHANGES_REQUESTED
        home = wards.get(entry["ward"])
        serves_all = entry["size"] == OrgSize.LARGE or rng.random() < 0.2
        motives = _motives(rng, org_type)
        org, created = Organization.objects.get_or_create(
            name=entry["name"],
            defaults={
                "org_type": org_type,
                "size": entry["size"],
                "corporate_number": _corporate_number(rng)
                if org_type in (OrgType.COMPANY, OrgType.NPO, OrgType.RESEARCH)
                else "",
                "postal_code": f"1{rng.randint(0, 9)}{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}",
                "address": f"東京都{home.name_ja if home else '千代田区'}{rng.randint(1, 6)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
                "ward": home,
                "website": f"https://www.example-{index:03d}.jp/",
                "csr_policy": " ".join(
                    t.format(long=long_phrase)
                    for t in rng.sample(CSR[org_type], k=min(2, len(CSR[org_type])))
                ),
                "research_fields": "、".join(TOPICS[t][1] for t in topics)
                if org_type in (OrgType.UNIVERSITY, OrgType.RESEARCH)
                else "",
                "motives": motives,
                "serves_all_wards": serves_all,
                "past_collaborations": _past(rng, home, topics),
                "status": status,
                "review_note": "法人番号と活動実績の分かる資料をご提出ください。"
                if status == OrgStatus.CHANGES_REQUESTED
                else "",
            },
        )
        org_ids.append(org.pk)
        # Approved organisations registered over several 年度; those waiting for review recently.
        registered = (
            registration_days(f"{ctx.seed}-organisation-{index}", 1, first=ORGANISATIONS_FROM)[0]
            if status == OrgStatus.APPROVED
            else None
        )
        if created and registered:
            backdate(org, registered)
        if created:
            if not serves_all:
                served = {entry["ward"]} | set(rng.sample(list(wards), k=rng.randint(0, 4)))
                org.wards_served.set([wards[c] for c in served if c in wards])
            for n in range(1 if org_type == OrgType.NPO else rng.randint(1, 2)):
                ContactPerson.objects.create(
                    organization=org,
                    name=rng.choice(CONTACT_NAMES),
                    role=rng.choice(CONTACT_ROLES[org_type]),
                    email=f"contact{n + 1}@example-{index:03d}.jp",
                    phone=f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                )
        count = 1 if status != OrgStatus.APPROVED else (3 if index % 8 == 0 else 2)
        for n in range(count):
            resource_number += 1
            _resource(
                ctx,
                rng,
                org,
                ref=f"DEMO-R{resource_number:04d}",
                topic=topics[n % len(topics)],
                fields=fields,
                wards=wards,
                fy_start=fy_start,
                registered=registered,
            )
    organization_search_refresh(organization_ids=org_ids)
    _accounts(ctx, catalogue)
    _members(ctx, org_ids)
    ctx.log(f"partners: {len(catalogue)} organisations, {resource_number} resources")


def _motives(rng: random.Random, org_type: str) -> list[str]:
    # OrgType members are str, so the plain string from the catalogue finds its entry.
    base = cast(
        "dict[str, list[Motive]]",
        {
            OrgType.COMPANY: [Motive.CSR, Motive.NEW_MARKET, Motive.TALENT],
            OrgType.UNIVERSITY: [Motive.RESEARCH_FIELD, Motive.TALENT, Motive.CSR],
            OrgType.RESEARCH: [Motive.RESEARCH_FIELD, Motive.CSR],
            OrgType.NPO: [Motive.CSR, Motive.OTHER],
        },
    )[org_type]
    chosen = rng.sample(base, k=rng.randint(1, len(base)))
    return [m.value for m in base if m in chosen]


def _past(rng: random.Random, home, topics: list[str]) -> str:
    if rng.random() < 0.35:
        return ""
    ward = home.name_ja if home else "千代田区"
    year = rng.choice([2022, 2023, 2024, 2025])
    return f"{year}年度 {ward}と連携し、{TOPICS[topics[0]][1]}に関する事業に参加しました。"


def _resource(ctx, rng, org, *, ref, topic, fields, wards, fy_start, registered) -> None:
    """A resource of `org`, registered with it (on `registered`, or now when None)."""
    kind = rng.choice(KINDS_BY_TYPE[org.org_type])
    short, long_phrase, sdgs = TOPICS[topic]
    title, description = rng.choice(TEMPLATES[kind])
    capacity_note = {
        ResourceKind.FUNDING: f"1件あたり最大{rng.choice([30, 50, 100, 200])}万円",
        ResourceKind.FACILITY: f"最大{rng.choice([20, 40, 80, 150])}名",
        ResourceKind.STUDENTS: f"学生{rng.choice([5, 10, 15, 20])}名程度",
        ResourceKind.PEOPLE: f"1回{rng.choice([3, 5, 10])}名まで",
    }.get(kind, "")
    start = fy_start + dt.timedelta(days=rng.choice([0, 0, 30, 90]))
    until = None if rng.random() < 0.3 else dt.date(start.year + 1, 3, 31)
    resource, created = Resource.objects.get_or_create(
        ref=ref,
        defaults={
            "organization": org,
            "kind": kind,
            "title": title.format(short=short),
            "description": description.format(long=long_phrase),
            "sdgs": sorted(set(sdgs + rng.sample([8, 11, 17], k=1))),
            "serves_all_wards": org.serves_all_wards,
            "capacity": rng.randint(1, 10) if kind != ResourceKind.FUNDING else rng.randint(1, 5),
            "capacity_note": capacity_note,
            "available_from": start,
            "available_until": until,
            "academic_term": rng.choice(["前期（4〜7月）", "後期（10〜1月）", "通年"])
            if org.org_type == OrgType.UNIVERSITY
            else "",
            "conditions": rng.choice(
                [
                    "",
                    "活動内容は事前にご相談ください。",
                    "交通費は実費をご負担ください。",
                    "成果を自社の広報で紹介させていただきます。",
                    "保険加入は受入側でお願いします。",
                ]
            ),
            "status": "paused" if rng.random() < 0.05 else "active",
        },
    )
    if created:
        if registered:
            backdate(resource, registered)
        resource.fields.set([fields[topic]])
        if not org.serves_all_wards:
            resource.wards.set(list(org.wards_served.all()))


def _accounts(ctx: DemoContext, catalogue: list[dict]) -> None:
    for username, name, person in (
        ("partner", catalogue[0]["name"], "港 花子"),
        ("partner2", "城南工業大学", "城南 一郎"),
    ):
        org = Organization.objects.get(name=name)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.PARTNER,
                "display_name": person,
                "email": f"{username}@demo.example.jp",
            },
        )
        if created:
            user.password = ctx.password_hash
            user.save()
        Membership.objects.get_or_create(user=user, defaults={"organization": org})
        ctx.accounts.append((str(Role.PARTNER.label), username, name))


# Every MEMBER_EVERY-th approved organisation has a portal member; the others are reached
# through their contacts by mailed links (partners.reach), so the demo shows both.
MEMBER_EVERY = 4


def _members(ctx: DemoContext, org_ids: list[int]) -> None:
    approved = Organization.objects.filter(pk__in=org_ids, status=OrgStatus.APPROVED)
    for number, org in enumerate(approved.order_by("pk")):
        if number % MEMBER_EVERY or org.members.exists():
            continue
        contact = org.contacts.order_by("pk").first()
        user, _created = User.objects.get_or_create(
            username=f"member{org.pk:04d}",
            defaults={
                "role": Role.PARTNER,
                "display_name": contact.name if contact else org.name,
                "email": f"member@example-{org.pk:04d}.jp",
                "password": ctx.password_hash,
            },
        )
        Membership.objects.get_or_create(user=user, defaults={"organization": org})
