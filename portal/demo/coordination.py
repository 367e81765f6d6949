"""Demo data for the coordinator system and user support: profiles, training, meetings,
self-assessments (two fiscal years), the FAQ and consultation requests. Idempotent."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence

from django.utils import timezone

from portal.fiscal import fiscal_year_of, fiscal_year_range
from portal.models import (
    STAFF_ROLES,
    CertificationLevel,
    ConsultationNote,
    ConsultationRequest,
    ConsultationStatus,
    ConsultationTopic,
    CoordinatorBackground,
    CoordinatorProfile,
    FaqCategory,
    FaqEntry,
    Field,
    NetworkMeeting,
    Role,
    SkillLevel,
    SkillSelfAssessment,
    TrainingAttendance,
    TrainingFormat,
    TrainingSession,
    User,
    Ward,
)
from portal.registry import DemoContext

FAQ = {
    "ポータルの使い方": [
        (
            "ポータルにログインできません。",
            "ログインIDとパスワードをご確認ください。続けて失敗すると1分ほどログインが制限されます。"
            "パスワードを忘れた場合は、区の担当コーディネーターまたは管理者に再発行を依頼してください。",
            "パスワード 忘れた ログイン できない サインイン",
        ),
        (
            "英語で表示できますか。",
            "画面右上の「English」を押すと英語表示に切り替わります。地域課題などの本文は登録された言語のまま表示されます。",
            "言語 切り替え 英語表示 多言語",
        ),
        (
            "お知らせはどこで確認できますか。",
            "画面上部の「お知らせ」に、提案・承認結果・イベントの招待・締切などが届きます。登録したメールアドレスにも同じ内容をお送りします。",
            "通知 メール 連絡 届く",
        ),
        (
            "スマートフォンから使えますか。",
            "はい。画面の幅に合わせて表示が変わるので、スマートフォンやタブレットからも利用できます。",
            "スマホ タブレット 携帯 モバイル",
        ),
    ],
    "団体・リソースの登録": [
        (
            "企業や大学が団体登録するにはどうすればよいですか。",
            "トップページの「団体登録」から、団体名・種別・所在地・担当者の連絡先を入力して申請してください。"
            "区の担当者が内容を確認し、承認されるとログイン用のアカウントをお知らせします。",
            "団体登録 申請 会社 大学 新規登録 参加したい",
        ),
        (
            "団体登録に費用はかかりますか。",
            "登録も利用も無料です。連携事業の費用分担は、事業ごとに区と団体で協議して決めます。",
            "料金 無料 有料 費用",
        ),
        (
            "提供できるリソースはどのように登録しますか。",
            "ログイン後、「自団体のリソース」から技術・人材・資金・施設・ネットワーク・研究シーズ・学生プログラムの種類を選び、"
            "内容・対象区・受入可能件数・提供期間を入力してください。",
            "リソース 登録 提供 技術 人材 施設",
        ),
        (
            "登録した団体情報を変更したいです。",
            "ログイン後の「団体プロフィール」から、所在地・担当者・CSR方針などをいつでも更新できます。団体名や種別の変更は区の審査が必要です。",
            "変更 修正 更新 プロフィール 担当者",
        ),
        (
            "審査にはどのくらい時間がかかりますか。",
            "通常は申請から5営業日程度です。内容に不足がある場合は修正依頼をお送りしますので、画面の指示に沿って修正してください。",
            "審査 期間 承認 待ち 日数",
        ),
    ],
    "マッチング": [
        (
            "マッチングの候補はどのように選ばれますか。",
            "地域課題とリソースの文章の近さ（日本語の文章解析）、分野・対象区・時期などの条件、これまでの職員の判断や事業の成果を組み合わせて順位を付けています。"
            "候補ごとに理由が表示されます。",
            "AI マッチング 仕組み 候補 順位 理由",
        ),
        (
            "区から連携の提案が届いたらどうすればよいですか。",
            "「提案」画面で内容を確認し、回答期限までに「受諾」または「辞退」を選んでください。受諾すると連携事業の準備が始まり、担当コーディネーターから連絡します。",
            "提案 受諾 辞退 回答 期限",
        ),
        (
            "地域課題の一覧は誰でも見られますか。",
            "募集中の地域課題は、ログインしなくても公開ページで見られます。内部メモや個人に関わる情報は公開されません。",
            "課題 公開 一覧 住民 閲覧",
        ),
        (
            "地域課題を提案したいです。",
            "住民・団体の方は相談窓口から地域の困りごとをお寄せください。区のコーディネーターが内容を確認し、地域課題データベースに登録します。",
            "課題 提案 困りごと 投稿 要望",
        ),
    ],
    "イベント": [
        (
            "マッチングイベントに参加するにはどうすればよいですか。",
            "招待が届いたら「イベントの招待」画面で「参加する」を押してください。申込締切を過ぎると登録できません。"
            "定員に達している場合はキャンセル待ちになり、空きが出ると自動で参加登録されます。",
            "イベント 参加 申し込み ピッチ会 交流会 招待",
        ),
        (
            "イベントの参加を取り消したいです。",
            "「イベントの招待」画面で「取り消す」を押してください。空いた席はキャンセル待ちの方に回ります。",
            "キャンセル 取り消し 欠席 参加しない",
        ),
        (
            "イベント当日の受付はどうなりますか。",
            "参加登録すると受付コードが発行されます。当日は受付でコードをお伝えください。コードは一度だけ使えます。",
            "受付 当日 コード チェックイン",
        ),
        (
            "住民も参加できるイベントはありますか。",
            "「イベントのお知らせ」に掲載しているイベントは住民の方も参加できます。カレンダーに追加する.icsファイルもダウンロードできます。",
            "住民 公開 イベント カレンダー",
        ),
    ],
    "評価・成果": [
        (
            "連携事業の成果はどのように評価されますか。",
            "事業ごとにアウトプット・アウトカム・インパクトの指標を設定し、定期的に測定します。満足度調査や外部評価委員会の評価も行い、年度ごとの報告書で公開します。",
            "評価 指標 成果 報告書 効果",
        ),
        (
            "事業の進捗はどこで報告しますか。",
            "ログイン後の「連携事業」から、測定値や活動の報告を入力してください。担当コーディネーターが確認します。",
            "進捗 報告 入力 測定",
        ),
        (
            "評価報告書はどこで見られますか。",
            "公開された年度報告書・四半期報告書は「成果の公開」ページからPDFで閲覧できます。",
            "報告書 公開 PDF ダウンロード",
        ),
    ],
    "相談・サポート": [
        (
            "連携が初めてで、何から始めればよいかわかりません。",
            "相談窓口からお気軽にご相談ください。区の地域連携コーディネーターが、課題の整理から相手探しまでお手伝いします。",
            "初めて 相談 始め方 わからない 中小企業",
        ),
        (
            "相談の返事はいつ来ますか。",
            "通常3営業日以内に、担当のコーディネーターからメールまたは電話でご連絡します。",
            "返事 回答 連絡 いつ 何日",
        ),
        (
            "コーディネーターとはどのような人ですか。",
            "区ごとに配置された地域連携の専門職員です。研修を受け、認定レベル（初級・中級・上級）に応じて企業・大学と地域の橋渡しをします。",
            "コーディネーター 担当者 職員 役割",
        ),
    ],
}

# English for the entries residents and new organisations ask about first (issue #14): the
# FAQ assistant answers in the interface language, so an English question finds these.
FAQ_CATEGORY_EN = {
    "ポータルの使い方": "Using the portal",
    "団体・リソースの登録": "Registering organisations and resources",
    "マッチング": "Matching",
    "イベント": "Events",
    "評価・成果": "Evaluation and results",
    "相談・サポート": "Consultations and support",
}
FAQ_EN = {
    "英語で表示できますか。": (
        "Can I use the portal in English?",
        "Press “English” at the top right of the screen. Texts such as community issues are shown"
        " in English where staff have written an English version, and in Japanese otherwise"
        " (marked “Japanese only”).",
    ),
    "企業や大学が団体登録するにはどうすればよいですか。": (
        "How does a company or university register its organisation?",
        "Choose “Register an organisation” on the home page and enter the organisation's name,"
        " type, address and a contact person. Ward staff check the application; once it is"
        " approved, you are sent a login account.",
    ),
    "団体登録に費用はかかりますか。": (
        "Does registering cost anything?",
        "Registering and using the portal are free. How the costs of a collaboration project are"
        " shared is agreed between the ward and the organisation for each project.",
    ),
    "審査にはどのくらい時間がかかりますか。": (
        "How long does the review take?",
        "Usually about five working days from the application. If something is missing, we ask"
        " you to correct it; follow the instructions on the screen.",
    ),
    "地域課題の一覧は誰でも見られますか。": (
        "Can anyone see the list of community issues?",
        "Yes: open issues are on the public pages without logging in. Internal notes and"
        " personal information are never made public.",
    ),
    "地域課題を提案したいです。": (
        "I would like to suggest a community issue.",
        "Residents and organisations can tell us about local problems through the consultation"
        " form. A ward coordinator reads it and records it in the community issue database.",
    ),
    "住民も参加できるイベントはありますか。": (
        "Are there events residents can join?",
        "Yes: the events listed under “Events” are open to residents. Where an event takes"
        " sign-ups from residents, you can sign up on its page; you can also download an .ics"
        " file for your calendar.",
    ),
}

TRAINING_TOPICS = [
    "地域連携の基礎と事例研究",
    "企業のCSR・CSVを理解する",
    "大学との共同研究の進め方",
    "ファシリテーション実践",
    "連携事業の評価指標づくり",
    "個人情報保護と契約の基礎",
    "データで見る地域課題",
    "中間支援NPOとの協働",
]
MEETING_MINUTES = (
    "各区の連携事例を共有した。高齢者見守りの事例では、企業ボランティアの継続確保が課題として挙がった。"
    "次回は評価指標の設定方法について意見交換する。"
)
CONSULTATIONS = [
    (
        "山田 太郎",
        "山田製作所",
        ConsultationTopic.START,
        "町工場として地域に貢献したいが、区とどう連携すればよいか相談したい。",
    ),
    (
        "鈴木 花子",
        "みどり町会",
        ConsultationTopic.ISSUE,
        "町会の担い手が高齢化し、防災訓練の運営が難しくなっている。",
    ),
    (
        "佐々木 健",
        "",
        ConsultationTopic.RESOURCE,
        "大学の研究室として学生が地域活動に参加できる場を探しています。",
    ),
    (
        "李 美玲",
        "多文化交流の会",
        ConsultationTopic.ISSUE,
        "外国人住民向けのごみ出しルールの案内を多言語化したい。",
    ),
    (
        "高木 誠",
        "高木商店",
        ConsultationTopic.EVENT,
        "次回のマッチングイベントに見学で参加できますか。",
    ),
    (
        "中川 由紀",
        "子育てサークルひまわり",
        ConsultationTopic.ISSUE,
        "放課後の子どもの居場所が足りず、企業の空きスペースを活用できないか。",
    ),
    (
        "小林 亮",
        "小林ITサービス",
        ConsultationTopic.START,
        "DXの支援を区内の商店街にしたいが、窓口がわからない。",
    ),
    ("松本 恵", "", ConsultationTopic.OTHER, "団体登録の審査状況を知りたい。"),
]


def _fy_date(rng: random.Random, fiscal_year: int) -> datetime.date:
    start, _end = fiscal_year_range(fiscal_year)
    return start + datetime.timedelta(days=rng.randint(0, 364))


def load(ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed + 45)
    today = timezone.localdate()
    current_fy = fiscal_year_of(today)
    fields = list(Field.objects.all())
    backgrounds = list(CoordinatorBackground)
    levels = [
        CertificationLevel.BASIC,
        CertificationLevel.INTERMEDIATE,
        CertificationLevel.ADVANCED,
    ]

    coordinators = list(User.objects.filter(role=Role.COORDINATOR).order_by("username"))
    for index, user in enumerate(coordinators):
        profile, created = CoordinatorProfile.objects.get_or_create(
            user=user,
            defaults={
                "background": backgrounds[index % len(backgrounds)],
                "introduction": "企業・大学と地域をつなぐ連携コーディネーターです。お気軽にご相談ください。",
            },
        )
        if created:
            if user.ward_id:
                profile.wards.add(user.ward_id)
            if fields:
                profile.specialities.set(rng.sample(fields, min(2, len(fields))))

    staff = list(User.objects.filter(role__in=STAFF_ROLES).order_by("username"))
    wards_all = list(Ward.objects.order_by("code"))
    # Not every member of staff has taken the training yet (the seed's gap): about two in three.
    trainees = staff[: max(1, len(staff) * 2 // 3)]
    for fiscal_year in (current_fy - 1, current_fy):
        count = 20 if fiscal_year < current_fy else 12
        for number in range(count):
            topic = TRAINING_TOPICS[number % len(TRAINING_TOPICS)]
            session, created = TrainingSession.objects.get_or_create(
                topic=f"{topic}（{fiscal_year}年度 第{number + 1}回）",
                defaults={
                    "held_on": _fy_date(rng, fiscal_year)
                    if fiscal_year < current_fy
                    else min(_fy_date(rng, fiscal_year), today),
                    "format": rng.choice(list(TrainingFormat)),
                    "hours": rng.choice([1.5, 2, 3]),
                    "description": "講義とグループワークで、連携の進め方を実践的に学びます。",
                },
            )
            if created and trainees:
                for user in rng.sample(trainees, max(1, len(trainees) // 2)):
                    TrainingAttendance.objects.get_or_create(
                        session=session, user=user, defaults={"completed": rng.random() < 0.8}
                    )
        for number in range(6 if fiscal_year < current_fy else 3):
            month = 4 + number * 2
            held_on = datetime.date(fiscal_year + (month - 1) // 12, (month - 1) % 12 + 1, 20)
            NetworkMeeting.objects.get_or_create(
                title=f"コーディネーター情報交換会（{fiscal_year}年度 第{number + 1}回）",
                defaults={
                    "held_on": min(held_on, today),
                    "ward": rng.choice(wards_all) if wards_all else None,
                    "participants": rng.randint(12, 30),
                    "minutes": MEETING_MINUTES,
                },
            )
        weights = [1, 3, 4, 2] if fiscal_year < current_fy else [1, 2, 4, 3]
        for user in staff:
            SkillSelfAssessment.objects.get_or_create(
                user=user,
                fiscal_year=fiscal_year,
                defaults={"level": rng.choices(list(SkillLevel), weights=weights)[0]},
            )

    for order, (category_name, entries) in enumerate(FAQ.items()):
        category, _ = FaqCategory.objects.get_or_create(
            name=category_name,
            defaults={"order": order, "name_en": FAQ_CATEGORY_EN.get(category_name, "")},
        )
        for position, (question, answer, keywords) in enumerate(entries):
            question_en, answer_en = FAQ_EN.get(question, ("", ""))
            FaqEntry.objects.get_or_create(
                question=question,
                defaults={
                    "category": category,
                    "answer": answer,
                    "question_en": question_en,
                    "answer_en": answer_en,
                    "keywords": keywords,
                    "order": position,
                },
            )

    wards = list(Ward.objects.order_by("code"))
    statuses = [
        ConsultationStatus.DONE,
        ConsultationStatus.IN_PROGRESS,
        ConsultationStatus.RECEIVED,
    ]
    for index, (name, organization, topic, message) in enumerate(CONSULTATIONS):
        if ConsultationRequest.objects.filter(name=name, message=message).exists():
            continue
        ward = wards[index * 3 % len(wards)] if wards else None
        assigned = User.objects.filter(role=Role.COORDINATOR, ward=ward).first() or (
            coordinators[index % len(coordinators)] if coordinators else None
        )
        status = statuses[index % len(statuses)]
        consultation = ConsultationRequest.objects.create(
            name=name,
            organization=organization,
            email=f"demo{index + 1}@example.jp",
            phone="03-0000-0000" if index % 2 else "",
            topic=topic,
            ward=ward,
            message=message,
            status=status,
            assigned_to=assigned,
            completed_at=timezone.now() if status == ConsultationStatus.DONE else None,
        )
        if status != ConsultationStatus.RECEIVED:
            ConsultationNote.objects.create(
                request=consultation,
                author=assigned,
                text="電話で状況を伺い、関連する地域課題と登録団体をご紹介した。",
            )
    _certifications(coordinators, levels, current_fy)
    ctx.log(
        f"  coordination: {CoordinatorProfile.objects.count()} coordinator profiles, "
        f"{FaqEntry.objects.count()} FAQ entries"
    )


def _certifications(coordinators: list[User], levels: Sequence[str], current_fy: int) -> None:
    """Each coordinator certified once by an approver who may (of their ward, or of none; else an
    admin), with the basis recorded; a few raised one level this year. Left alone when a
    coordinator already has a decision."""
    from portal.coordinators.services import certification_basis, coordinator_certify
    from portal.permissions import can_certify_coordinator

    approvers = list(User.objects.filter(role=Role.APPROVER, is_active=True).order_by("username"))
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("username").first()
    for index, user in enumerate(coordinators):
        certifier = next((a for a in approvers if can_certify_coordinator(a, user)), admin)
        if certifier is None or user.certifications.exists():
            continue
        basis = certification_basis(user=user, fiscal_year=current_fy - 1)
        level = levels[index % len(levels)]
        coordinator_certify(
            coordinator=user,
            level=level,
            certified_on=datetime.date(current_fy - 1, 6 + index % 6, 1),
            training_hours=basis["training_hours"],
            cases_supported=basis["cases_supported"],
            assessment="研修の修了と担当案件の実績を確認し、面談で連携の進め方を評価した。",
            decided_by=certifier,
        )
        if index % 4 == 0 and level != levels[-1]:
            coordinator_certify(
                coordinator=user,
                level=levels[levels.index(level) + 1],
                certified_on=min(datetime.date(current_fy, 5, 15), timezone.localdate()),
                training_hours=basis["training_hours"] + 6,
                cases_supported=basis["cases_supported"] + 4,
                assessment="上位研修を修了し、区をまたぐ連携事業を支援した実績を確認した。",
                decided_by=certifier,
            )
