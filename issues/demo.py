"""Demo issues: a few hundred community issues across the 23 wards, in natural Japanese.

Generated combinatorially from realistic templates per field (title, the problem, what help is
sought), placed in real neighbourhoods of each ward, with scores, statuses (mostly 募集中),
sources, SDGs, target groups, desired resources and coordinators. The field mix reproduces the
seed's gap: 高齢者支援 and 子育て支援 are the largest groups. Some issues recur in several wards
and are linked as 他区の同一課題. Idempotent: refs are stable and existing ones are skipped.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Count
from django.utils import timezone

from issues.models import Issue, IssueLink, IssueLinkKind, IssueSource, IssueStatus
from portal.demo.history import ISSUES_FROM, backdate, registration_days
from portal.fiscal import fiscal_year_of
from portal.models import Field, Role, User, Ward
from portal.registry import DemoContext

ISSUES_PER_WARD = 13

AREAS = {
    "13101": ["神田", "麹町", "神保町"],
    "13102": ["月島", "日本橋", "晴海"],
    "13103": ["芝浦", "麻布", "高輪"],
    "13104": ["大久保", "四谷", "早稲田"],
    "13105": ["本郷", "小石川", "千駄木"],
    "13106": ["浅草", "谷中", "上野"],
    "13107": ["押上", "向島", "両国"],
    "13108": ["豊洲", "亀戸", "北砂"],
    "13109": ["大井町", "戸越", "五反田"],
    "13110": ["自由が丘", "中目黒", "碑文谷"],
    "13111": ["蒲田", "大森", "羽田"],
    "13112": ["三軒茶屋", "下北沢", "成城"],
    "13113": ["笹塚", "恵比寿", "代々木"],
    "13114": ["鷺宮", "中野", "江古田"],
    "13115": ["高円寺", "阿佐谷", "荻窪"],
    "13116": ["池袋", "巣鴨", "椎名町"],
    "13117": ["赤羽", "王子", "十条"],
    "13118": ["南千住", "町屋", "日暮里"],
    "13119": ["高島平", "大山", "成増"],
    "13120": ["光が丘", "石神井", "大泉学園"],
    "13121": ["北千住", "竹の塚", "綾瀬"],
    "13122": ["金町", "立石", "新小岩"],
    "13123": ["葛西", "小岩", "船堀"],
}

# field → [(title, problem, need, resource kinds, SDGs, target groups)]
TEMPLATES: dict[str, list[tuple[str, str, str, list[str], list[int], list[str]]]] = {
    "高齢者支援": [
        (
            "一人暮らし高齢者の見守り",
            "一人暮らしの高齢者が増え、民生委員や町会だけでは日々の安否確認が行き届かなくなっている",
            "センサーや配達網を生かした見守りの仕組みづくりに協力してくれる企業を探している",
            ["technology", "network"],
            [3, 11],
            ["elderly"],
        ),
        (
            "買い物弱者への移動販売",
            "近くのスーパーが閉店し、坂の多い住宅地に住む高齢者が日用品の買い物に困っている",
            "移動販売車の巡回や宅配の共同化について、事業者と一緒に試行したい",
            ["network", "facility"],
            [2, 11],
            ["elderly"],
        ),
        (
            "高齢者のスマートフォン活用支援",
            "行政手続きや予約のオンライン化が進む一方で、スマートフォンを使いこなせない高齢者が取り残されている",
            "大学生や通信事業者による出張スマホ教室を定期的に開きたい",
            ["people", "students"],
            [4, 10],
            ["elderly"],
        ),
        (
            "認知症の方と家族の居場所づくり",
            "認知症と診断された方と介護する家族が気軽に立ち寄れる場所が少なく、家族の負担が重い",
            "空き店舗を使った認知症カフェの運営に協力してくれる団体を募集している",
            ["facility", "people"],
            [3],
            ["elderly", "all"],
        ),
        (
            "フレイル予防の運動教室",
            "外出の機会が減った高齢者の体力や筋力の低下が目立ち、介護予防の取り組みが必要になっている",
            "スポーツ系の大学や企業と連携し、公園や集会所での運動プログラムを作りたい",
            ["people", "research"],
            [3],
            ["elderly"],
        ),
        (
            "高齢者の移動手段の確保",
            "バス路線の減便で通院や買い物に出かけにくくなった高齢者が増えている",
            "デマンド型交通や送迎ボランティアの仕組みを一緒に検討できる事業者を求めている",
            ["technology", "funding"],
            [11],
            ["elderly", "disabled"],
        ),
    ],
    "子育て支援": [
        (
            "共働き世帯の病児保育の不足",
            "子どもが急に熱を出したときに預けられる病児保育の枠が足りず、仕事を休まざるを得ない保護者が多い",
            "医療機関や企業の保育施設と連携した受け入れ枠の拡大を検討したい",
            ["facility", "funding"],
            [3, 5, 8],
            ["families"],
        ),
        (
            "放課後の子どもの居場所づくり",
            "学童クラブの待機児童が出ており、放課後に子どもが安心して過ごせる場所が不足している",
            "企業の社会貢献や学生ボランティアによる放課後プログラムを実施したい",
            ["people", "students", "facility"],
            [4, 11],
            ["students", "families"],
        ),
        (
            "孤立しがちな子育て家庭への訪問支援",
            "転入してきたばかりの子育て家庭が地域に知り合いがおらず、育児の悩みを抱え込んでいる",
            "先輩保護者やNPOと協力して、訪問型の相談や交流の場を広げたい",
            ["people", "network"],
            [3, 10],
            ["families"],
        ),
        (
            "子ども食堂の運営継続",
            "地域の子ども食堂が食材の確保と担い手の不足で、開催回数を減らさざるを得なくなっている",
            "食品企業からの食材提供や、運営を手伝ってくれるボランティアを募集している",
            ["funding", "people"],
            [1, 2],
            ["students", "families"],
        ),
        (
            "ベビーカーで移動しやすい街",
            "駅や商店街に段差が多く、ベビーカーを押す保護者が移動に苦労している",
            "バリアフリー情報の地図づくりを大学の研究室と一緒に進めたい",
            ["research", "students"],
            [11],
            ["families", "disabled"],
        ),
    ],
    "教育・人材育成": [
        (
            "中学生のキャリア教育",
            "地元の中学生が仕事や働く大人と接する機会が少なく、将来を考えるきっかけが乏しい",
            "職場体験や出前授業を受け入れてくれる企業を探している",
            ["people", "facility"],
            [4, 8],
            ["students"],
        ),
        (
            "不登校の子どもの学びの場",
            "不登校の児童・生徒が増えているが、学校以外で学べる場所が区内に少ない",
            "オンライン学習の教材や、学習支援を担う大学生の協力を求めている",
            ["technology", "students"],
            [4, 10],
            ["students"],
        ),
        (
            "地域の担い手を育てる講座",
            "町会や自治会の役員が高齢化し、次の担い手が育っていない",
            "大学と連携して、地域活動のリーダー養成講座を開きたい",
            ["research", "people"],
            [4, 17],
            ["youth", "all"],
        ),
    ],
    "健康・福祉": [
        (
            "障害のある方の就労機会の拡大",
            "就労を希望する障害のある方は多いが、区内で受け入れてくれる職場が限られている",
            "短時間勤務や在宅勤務での受け入れに協力してくれる企業を募集している",
            ["people", "network"],
            [8, 10],
            ["disabled"],
        ),
        (
            "若い世代の心の健康相談",
            "悩みを抱える若者が相談窓口につながらず、支援が届く前に深刻化してしまう例がある",
            "SNSを使った相談の仕組みを、専門職のいる団体と一緒につくりたい",
            ["technology", "people"],
            [3],
            ["youth"],
        ),
        (
            "健診受診率の向上",
            "特定健診の受診率が伸び悩み、働き盛り世代の生活習慣病の予防が課題になっている",
            "企業の健康経営の取り組みと連携した受診の呼びかけを検討したい",
            ["network", "research"],
            [3],
            ["all"],
        ),
    ],
    "環境・エネルギー": [
        (
            "食品ロスの削減",
            "飲食店や家庭から出る食品ロスが多く、まだ食べられる食品が捨てられている",
            "フードシェアリングのアプリや、余った食品を届ける仕組みを試したい",
            ["technology", "network"],
            [12],
            ["businesses", "all"],
        ),
        (
            "公共施設の省エネルギー化",
            "築年数の古い区民施設の電気代がかさみ、脱炭素の目標にも届いていない",
            "省エネ設備や太陽光発電の導入について、技術のある企業の提案を求めている",
            ["technology", "funding"],
            [7, 13],
            ["all"],
        ),
        (
            "まちなかの緑と暑さ対策",
            "夏の暑さが年々厳しくなり、日陰や緑の少ない通りで熱中症の心配が高まっている",
            "大学の研究室と協力して、緑化やクールスポットの効果を調べたい",
            ["research", "students"],
            [11, 13, 15],
            ["all"],
        ),
    ],
    "防災・安全": [
        (
            "外国人住民への防災情報の多言語化",
            "日本語が苦手な外国人住民に、避難所や災害時の情報が十分に届いていない",
            "多言語の防災マップやアプリの作成に協力してくれる団体を探している",
            ["technology", "people"],
            [11, 13],
            ["foreign"],
        ),
        (
            "木造住宅密集地域の防災訓練",
            "古い木造住宅が密集する地域で、火災や地震の際の避難経路の確保が課題になっている",
            "企業や学生と一緒に、夜間も含めた実践的な防災訓練を企画したい",
            ["people", "students"],
            [11],
            ["all", "elderly"],
        ),
        (
            "避難所の備蓄と運営の見直し",
            "避難所の備蓄品が古くなり、女性や乳幼児、障害のある方への配慮も十分ではない",
            "備蓄品の提供や避難所運営のノウハウを持つ企業と連携したい",
            ["funding", "technology"],
            [5, 11],
            ["families", "disabled"],
        ),
    ],
    "まちづくり・都市計画": [
        (
            "空き家の利活用",
            "空き家が増えて防犯や景観の面で不安の声が上がる一方、活用の担い手が見つからない",
            "空き家を地域の交流拠点や学生の住まいに生かす事業者を探している",
            ["facility", "funding"],
            [11],
            ["all", "youth"],
        ),
        (
            "商店街のにぎわい再生",
            "商店街の空き店舗が目立ち、来街者が減って地域の活気が失われつつある",
            "大学のまちづくりゼミや企業と一緒に、イベントや出店の実験をしたい",
            ["students", "network"],
            [8, 11],
            ["businesses"],
        ),
        (
            "公園の使い方の見直し",
            "公園の利用ルールが厳しく、子どもや若者がのびのびと使えていない",
            "利用者の声を集めるワークショップを、専門家と一緒に開きたい",
            ["research", "people"],
            [11],
            ["all", "families"],
        ),
    ],
    "DX・デジタル": [
        (
            "町会活動のデジタル化",
            "町会の回覧板や連絡が紙中心で、若い世代が活動に参加しにくくなっている",
            "回覧板アプリの導入や使い方の支援に協力してくれる企業を募集している",
            ["technology", "people"],
            [9, 17],
            ["all"],
        ),
        (
            "区民サービスのデータ活用",
            "窓口や相談のデータが部署ごとに分かれており、区民の困りごとの全体像がつかめない",
            "データ分析に強い大学や企業と、匿名化したデータの活用方法を検討したい",
            ["research", "technology"],
            [9, 16],
            ["all"],
        ),
    ],
    "地域経済・産業": [
        (
            "町工場の後継者不足",
            "技術を持つ町工場で後継者が見つからず、廃業する事業所が増えている",
            "事業承継の支援や若手人材とのマッチングに協力してくれる団体を探している",
            ["network", "people"],
            [8, 9],
            ["businesses", "youth"],
        ),
        (
            "地域の店舗のキャッシュレス対応",
            "個人商店のキャッシュレス決済の導入が遅れ、観光客や若い世代の利用が伸びない",
            "導入費用の支援や操作の講習をしてくれる事業者を求めている",
            ["technology", "funding"],
            [8],
            ["businesses"],
        ),
    ],
    "多文化共生": [
        (
            "外国人住民の日本語学習支援",
            "日本語を学びたい外国人住民が増えているが、地域の日本語教室は担い手が足りない",
            "大学の留学生支援の経験や、ボランティア講師の協力を求めている",
            ["students", "people"],
            [4, 10],
            ["foreign"],
        ),
        (
            "外国につながる子どもの学習支援",
            "日本語が十分でない子どもが授業についていけず、進学をあきらめる例がある",
            "母語の分かる学生による学習支援や、教材の提供を受けたい",
            ["students", "technology"],
            [4, 10],
            ["foreign", "students"],
        ),
    ],
    "その他": [
        (
            "地域の歴史資料の保存",
            "町会や寺社に残る古い写真や記録が散逸しかけており、地域の歴史が失われつつある",
            "資料のデジタル化と公開に協力してくれる大学や企業を探している",
            ["technology", "research"],
            [11],
            ["all"],
        ),
    ],
}

# The seed's gap: elderly and child-rearing support are what residents need most.
FIELD_WEIGHTS = {
    "高齢者支援": 22,
    "子育て支援": 18,
    "教育・人材育成": 8,
    "健康・福祉": 9,
    "環境・エネルギー": 7,
    "防災・安全": 9,
    "まちづくり・都市計画": 8,
    "DX・デジタル": 6,
    "地域経済・産業": 5,
    "多文化共生": 5,
    "その他": 3,
}
STATUS_WEIGHTS = [
    (IssueStatus.OPEN, 55),
    (IssueStatus.REVIEWING, 15),
    (IssueStatus.DRAFT, 7),
    (IssueStatus.COLLABORATING, 11),
    (IssueStatus.RESOLVED, 6),
    (IssueStatus.ON_HOLD, 4),
    (IssueStatus.WITHDRAWN, 2),
]
EVIDENCE = {
    IssueSource.SURVEY: "区民アンケートでは、回答者の{p}%がこの点に不安があると答えている。",
    IssueSource.HEARING: "町会長や民生委員へのヒアリングでも、同じ趣旨の声が{n}件寄せられた。",
    IssueSource.STATISTICS: "区の統計では、対象となる世帯がこの5年で約{p}%増えている。",
    IssueSource.STAFF: "担当課の職員から、窓口での相談が増えているとして対応の提案があった。",
    IssueSource.RESIDENT: "住民投稿フォームにも、改善を求める投稿が{n}件届いている。",
}


def _coordinators() -> tuple[dict[int, list[User]], list[User]]:
    users = list(User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("username"))
    by_ward: dict[int, list[User]] = {}
    for user in users:
        if user.ward_id:
            by_ward.setdefault(user.ward_id, []).append(user)
    return by_ward, users


def load(ctx: DemoContext) -> None:
    from issues.services import issue_create, issue_link_create
    from issues.similarity import similar_to_text

    rng = random.Random(ctx.seed + 20)  # noqa: S311  # nosec B311
    fields = {f.name: f for f in Field.objects.all()}
    usable = [name for name in FIELD_WEIGHTS if name in fields]
    weights = [FIELD_WEIGHTS[name] for name in usable]
    by_ward, coordinators = _coordinators()
    existing = set(Issue.objects.values_list("ref", flat=True))
    ward_issue_counts = dict(
        Issue.objects.order_by().values("ward").annotate(n=Count("pk")).values_list("ward", "n")
    )
    today = timezone.localdate()
    created: list[tuple[Issue, str]] = []
    for ward in Ward.objects.order_by("code"):
        used: set[str] = set()
        # Registered over several 年度, numbered per ward and 年度 in the order they came in.
        days = registration_days(
            f"{ctx.seed}-issues-{ward.code}", ISSUES_PER_WARD, first=ISSUES_FROM
        )
        numbers: dict[int, int] = {}
        loaded_before = ward_issue_counts.get(ward.pk, 0) >= ISSUES_PER_WARD
        for day in days:
            year = fiscal_year_of(day)
            numbers[year] = numbers.get(year, 0) + 1
            ref = f"{ward.code}-{year}-{numbers[year]:04d}"
            # Draw even when the issue exists, so the sequence (and every issue) stays the same.
            field_name = rng.choices(usable, weights)[0]
            options = [t for t in TEMPLATES[field_name] if t[0] not in used] or TEMPLATES[
                field_name
            ]
            title, problem, need, kinds, sdgs, targets = rng.choice(options)
            used.add(title)
            area = rng.choice(AREAS.get(ward.code, [""]))
            source = rng.choice(list(IssueSource))
            status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
            evidence = EVIDENCE[source].format(p=rng.randint(12, 48), n=rng.randint(3, 25))
            urgency, importance, difficulty = (
                rng.randint(2, 5),
                rng.randint(2, 5),
                rng.randint(1, 5),
            )
            local = by_ward.get(ward.pk, [])
            if local and rng.random() < 0.8:
                coordinator = rng.choice(local)
            elif coordinators and rng.random() < 0.3:
                coordinator = rng.choice(coordinators)
            else:
                coordinator = None
            budget = rng.choice([None, 300_000, 1_000_000, 3_000_000])
            start = today + datetime.timedelta(days=rng.randint(14, 180))
            # A database loaded before the refs carried their 年度 has the ward's issues already.
            if ref in existing or loaded_before:
                continue
            description = f"{ward.name_ja}{area}周辺では、{problem}。{evidence}{need}。"
            issue = issue_create(
                # A coordinator registers issues of their own ward; another ward's coordinator
                # may be assigned (担当) but the registration is the loader's.
                created_by=coordinator if coordinator in local else None,
                data={
                    "ref": ref,
                    "title": title,
                    "description": description,
                    "ward": ward,
                    "area": area,
                    "field": fields[field_name],
                    "sdgs": sorted(sdgs),
                    "target_groups": targets,
                    "source": source,
                    "evidence": evidence,
                    "desired_resource_kinds": kinds,
                    "budget_min": budget // 3 if budget else None,
                    "budget_max": budget,
                    "desired_start": start,
                    "desired_end": start + datetime.timedelta(days=rng.choice([180, 365, 730])),
                    "urgency": urgency,
                    "importance": importance,
                    "difficulty": difficulty,
                    "status": status,
                    "coordinator": coordinator,
                    "internal_note": rng.choice(
                        ["", "", "担当課と予算の調整中。", "前年度の事業の評価結果を確認すること。"]
                    ),
                },
            )
            backdate(issue, day, also=("status_changed_at",))
            created.append((issue, title))
    _link_same_issues(created, similar_to_text, issue_link_create, rng)
    ctx.log(f"issues: {len(created)} new issues ({Issue.objects.count()} in total)")


def _link_same_issues(created, similar_to_text, issue_link_create, rng) -> None:
    """Link a handful of recurring issues across wards as 他区の同一課題."""
    if IssueLink.objects.exists():
        return
    by_title: dict[str, list[Issue]] = {}
    for issue, title in created:
        by_title.setdefault(title, []).append(issue)
    titles = sorted(t for t, issues in by_title.items() if len(issues) > 1)
    rng.shuffle(titles)
    for title in titles[:12]:
        first, second = by_title[title][0], by_title[title][1]
        found = similar_to_text(title=first.title, description=first.description, limit=50)
        score = next((s.score for s in found if s.issue_id == second.pk), None)
        issue_link_create(
            issue=first,
            other=second,
            kind=IssueLinkKind.SAME_OTHER_WARD,
            similarity=score,
            created_by=None,
        )
