"""The written definition of every KPI: numerator, denominator, period, stock or flow, source.

Shown on the dashboard (a details element per KPI), on the KPI's own page and in the report's
KPI definitions table, so a reader can recompute any figure from the records it names. The
computation itself is in evaluation.kpi.pillar1–3; tests/evaluation/test_kpi.py holds the two
together on a planted dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STOCK = "stock"
FLOW = "flow"
KIND_LABELS = {STOCK: _("ストック（期末時点の数）"), FLOW: _("フロー（期間中の実績）")}


@dataclass(frozen=True)
class KpiDefinition:
    numerator: StrOrPromise
    denominator: StrOrPromise | None  # None: a count, a mean or a median, not a ratio
    period: StrOrPromise
    kind: str  # STOCK or FLOW
    source: StrOrPromise

    @property
    def kind_label(self) -> StrOrPromise:
        return KIND_LABELS[self.kind]


FY = _("年度（4月1日〜翌年3月31日、東京時間）。四半期の報告ではその四半期")
FY_END = _("年度末（3月31日の終わり、東京時間）の時点")
FY_ELAPSED = _("年度のうち経過した月（東京時間）")

D = KpiDefinition
DEFINITIONS: dict[str, KpiDefinition] = {
    "pilot_adoption_rate": D(
        _("期間内に実証を終えて本格導入になった事業の数"),
        _("期間内に実証（継続を含む）を本格導入・終了・中止で終えた事業の数（最初の1回）"),
        FY,
        FLOW,
        _("連携事業の状態変更の記録（効力日）"),
    ),
    "collaborations_created": D(
        _("開始日が期間内にある連携事業の数（後に中止した事業を含む）"),
        None,
        FY,
        FLOW,
        _("連携事業の記録（開始日）"),
    ),
    "match_success_rate": D(
        _("期間内に送った提案のうち、受諾されて事業になった数"),
        _("期間内に送った提案のうち、受諾・辞退・期限切れのいずれかになった数（回答待ちは除く）"),
        FY,
        FLOW,
        _("提案の記録（送付日時と状態）"),
    ),
    "registered_organisations": D(
        _("期末時点で「承認済み」だった登録団体の数（区別表示は団体の所在区）"),
        None,
        FY_END,
        STOCK,
        _("団体の記録とその変更履歴（期末時点の状態）"),
    ),
    "issues_in_database": D(
        _("期末時点で登録されていた地域課題の数（下書き・取下げの状態だったものを除く）"),
        None,
        FY_END,
        STOCK,
        _("地域課題の記録とその変更履歴（期末時点の状態）"),
    ),
    "monthly_active_users": D(
        _(
            "期間の最後の月（進行中の年度は直近の終わった月）にログインして利用した人の数（同じ人は1人）"
        ),
        None,
        _("1か月（東京時間の暦月）。各月の人数は明細に表示"),
        FLOW,
        _("アクセスログの日別利用記録（ログイン中の利用を1人1日1件）"),
    ),
    "user_satisfaction": D(
        _("プラットフォームについての満足度（1〜5）の合計"),
        _("その回答数（住民・連携団体・職員。アンケートの回答と紙の回答の入力の両方）"),
        FY,
        FLOW,
        _("プラットフォームのアンケートの満足度設問と、満足度調査の入力"),
    ),
    "events_per_month": D(
        _("期間内に開始した（中止されていない）マッチングイベントの数"),
        _("期間のうち経過した月の数"),
        FY_ELAPSED,
        FLOW,
        _("イベントの記録（開始日時と状態）"),
    ),
    "platform_availability": D(
        _("データベース・ブローカー・ワーカーがすべて正常だったヘルスチェックの回数"),
        _("期間内のヘルスチェックの回数"),
        FY,
        FLOW,
        _("ポータル自身のヘルスチェックの記録（定期実行）"),
    ),
    "lead_time_first_proposal": D(
        _("地域課題が初めて「募集中」になった日から最初の提案の日までの日数の中央値"),
        None,
        _("最初の提案の日が期間内にある地域課題"),
        FLOW,
        _("地域課題の変更履歴（募集中になった日時）と提案の記録"),
    ),
    "lead_time_project": D(
        _("地域課題が初めて「募集中」になった日から連携事業の決定日までの日数の中央値"),
        None,
        _("事業の決定日（提案の受諾日、直接登録の事業は登録日）が期間内にある地域課題"),
        FLOW,
        _("地域課題の変更履歴、提案の受諾日時と連携事業の記録"),
    ),
    "coordinator_success_rate": D(
        _("担当コーディネーターのいる事業のうち、期間内に終了し「完了」だった数"),
        _("担当コーディネーターのいる事業のうち、期間内に終了（完了・中止）した数"),
        FY,
        FLOW,
        _("連携事業の記録（担当者・終了日・状態）"),
    ),
    "coordinators": D(
        _("在籍中のコーディネーターの数"),
        None,
        _("集計した時点"),
        STOCK,
        _("コーディネーターの登録（コーディネーター制度の記録、なければ利用者の役割）"),
    ),
    "cases_per_coordinator": D(
        _(
            "コーディネーターが支援した件数（制度の記録、なければ期間内に開始した担当付きの事業の数）"
        ),
        _("コーディネーターの数"),
        FY,
        FLOW,
        _("コーディネーター制度の活動記録と連携事業の記録"),
    ),
    "continuation_1y": D(
        _("前年度に開始した事業のうち、開始1年後の状況が「継続」または「発展」の数"),
        _("前年度に開始した事業のうち、開始1年後の状況を記録した数"),
        _("開始が前年度の事業の、開始1年後"),
        FLOW,
        _("継続状況の記録"),
    ),
    "training_sessions": D(_("期間内に開催した研修の回数"), None, FY, FLOW, _("研修の開催記録")),
    "network_meetings": D(
        _("期間内に開催したネットワーク会議の回数"), None, FY, FLOW, _("会議の開催記録")
    ),
    "staff_trained": D(
        _("連携研修を修了した職員の数"),
        _("職員の数"),
        FY_END,
        STOCK,
        _("研修の出席記録と利用者の登録"),
    ),
    "staff_skills": D(
        _("連携スキルを「十分」と自己評価した職員の数"),
        _("自己評価に回答した職員の数"),
        FY,
        FLOW,
        _("職員の連携スキル自己評価"),
    ),
    "average_improvement": D(
        _(
            "評価中の事業の定量指標ごとの改善率（（最新値−初回値）÷|初回値|×100、小さいほど良い指標は符号を反転）の合計"
        ),
        _("最新の測定が期間内にあり、測定が2回以上ある定量指標の数"),
        FY,
        FLOW,
        _("事業の評価指標と測定値"),
    ),
    "evaluation_coverage": D(
        _("期間内に実施していた事業のうち、期間内の測定値がある事業の数"),
        _("期間内に実施していた事業（準備中・中止を除く）の数"),
        FY,
        FLOW,
        _("連携事業の記録と測定値"),
    ),
    "continuation_2y": D(
        _("2年前の年度に開始した事業のうち、開始2年後の状況が「継続」または「発展」の数"),
        _("2年前の年度に開始した事業のうち、開始2年後の状況を記録した数"),
        _("開始が2年前の年度の事業の、開始2年後"),
        FLOW,
        _("継続状況の記録"),
    ),
    "committee_score": D(
        _("その年度の外部評価（委員ごと・事業ごと）の評点の合計。評点は評価観点ごとの1〜5の平均"),
        _("その年度の外部評価の数"),
        _("評価の対象年度"),
        FLOW,
        _("外部評価委員会の観点別評点"),
    ),
    "actions_implemented": D(
        _("その年度の外部評価から生じた改善アクションのうち「実施済み」の数"),
        _("その年度の外部評価から生じた改善アクションの数（対応中を含む）"),
        _("評価の対象年度"),
        FLOW,
        _("改善アクションの記録"),
    ),
    "cases_reused": D(
        _("ベストプラクティスを元の事業の区以外の区が活用した記録の数（区別表示は活用した区）"),
        None,
        FY,
        FLOW,
        _("事例の活用記録"),
    ),
    "measurement_availability": D(
        _("機器・アプリ連携が予定の送信間隔ごとにデータを届けた区間の数"),
        _(
            "機器・アプリ連携ごとの、期間内（発行から無効化まで）の送信間隔の区間の数（終わった区間のみ）"
        ),
        FY,
        FLOW,
        _("機器・アプリ連携の受信記録と、ポータルのヘルスチェック（未受信の区間の原因の区別）"),
    ),
    "reports_published": D(
        _("その年度についての報告書（年次・四半期）が公開された期間の数（同じ期間の再公開は1件）"),
        None,
        _("報告書の対象年度（公開日が年度の後でも数えます）"),
        FLOW,
        _("報告書の公開記録"),
    ),
}
