"""The KPIs of DESIGN.md, computed from the portal's own records for a 年度 (and optionally a ward).

Each ``kpi_<code>(fiscal_year, ward)`` returns a :class:`KpiResult` with the value, the target and
the seed baseline, the unit, and the records it counts (a lazy queryset or a list), so every
figure on the dashboard links to what it is made of. ``value is None`` means 「データなし」:
the source has no records (or does not exist yet) — never a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evaluation.kpi.base import KpiResult, kpi_memo
from evaluation.kpi.definitions import DEFINITIONS, KpiDefinition
from evaluation.kpi.pillar1 import (
    kpi_collaborations_created,
    kpi_events_per_month,
    kpi_issues_in_database,
    kpi_lead_time_first_proposal,
    kpi_lead_time_project,
    kpi_match_success_rate,
    kpi_monthly_active_users,
    kpi_platform_availability,
    kpi_registered_organisations,
    kpi_user_satisfaction,
)
from evaluation.kpi.pillar2 import (
    kpi_cases_per_coordinator,
    kpi_continuation_1y,
    kpi_coordinator_success_rate,
    kpi_coordinators,
    kpi_network_meetings,
    kpi_staff_skills,
    kpi_staff_trained,
    kpi_training_sessions,
)
from evaluation.kpi.pillar3 import (
    kpi_actions_implemented,
    kpi_average_improvement,
    kpi_cases_reused,
    kpi_committee_score,
    kpi_continuation_2y,
    kpi_evaluation_coverage,
    kpi_measurement_availability,
    kpi_reports_published,
)
from evaluation.kpi.pilots import kpi_pilot_adoption_rate
from evaluation.kpi.targets import NONE, POPULATION, SAME, ward_target
from portal.fiscal import period_range
from portal.models import Ward

# A unit (days), not the weekday 日 (Sunday) that the same msgid is elsewhere.
DAYS = pgettext_lazy("単位", "日")


@dataclass(frozen=True)
class KpiSpec:
    code: str
    label: Any
    pillar: int
    unit: Any
    target: Decimal | None
    baseline: Decimal | None
    compute: Callable[..., dict]
    # How a ward view gets its target (evaluation.kpi.targets): rates and means keep the 23-ward
    # target; counts take the ward's population share of it.
    ward_target: str = SAME

    @property
    def definition(self) -> KpiDefinition:
        return DEFINITIONS[self.code]


D = Decimal
KPI_SPECS: list[KpiSpec] = [
    KpiSpec(
        "collaborations_created",
        _("プラットフォーム経由の連携事業数（年度）"),
        1,
        _("件"),
        D(200),
        D(60),
        kpi_collaborations_created,
        POPULATION,
    ),
    KpiSpec(
        "match_success_rate",
        _("マッチング成功率（提案のうち事業化した割合）"),
        1,
        "%",
        D(60),
        D("23.8"),
        kpi_match_success_rate,
    ),
    KpiSpec(
        "pilot_adoption_rate",
        _("実証から本格導入への移行率"),
        1,
        "%",
        D(40),
        None,
        kpi_pilot_adoption_rate,
    ),
    KpiSpec(
        "registered_organisations",
        _("登録団体数"),
        1,
        _("団体"),
        D(500),
        None,
        kpi_registered_organisations,
        POPULATION,
    ),
    KpiSpec(
        "issues_in_database",
        _("地域課題データベースの登録件数"),
        1,
        _("件"),
        D(1000),
        None,
        kpi_issues_in_database,
        POPULATION,
    ),
    KpiSpec(
        "monthly_active_users",
        _("月間アクティブユーザー数"),
        1,
        _("人"),
        D(1000),
        None,
        kpi_monthly_active_users,
        POPULATION,
    ),
    KpiSpec(
        "user_satisfaction",
        _("利用者満足度（1〜5）"),
        1,
        _("点"),
        D("4.0"),
        None,
        kpi_user_satisfaction,
    ),
    KpiSpec(
        "events_per_month",
        _("マッチングイベントの月間開催数"),
        1,
        _("回/月"),
        D(4),
        None,
        kpi_events_per_month,
    ),
    KpiSpec(
        "platform_availability",
        _("プラットフォーム稼働率"),
        1,
        "%",
        D(99),
        None,
        kpi_platform_availability,
    ),
    KpiSpec(
        "lead_time_first_proposal",
        _("マッチングの所要日数（募集開始から最初の提案まで・中央値）"),
        1,
        DAYS,
        None,
        None,
        kpi_lead_time_first_proposal,
    ),
    KpiSpec(
        "lead_time_project",
        _("マッチングの所要日数（募集開始から事業化の決定まで・中央値）"),
        1,
        DAYS,
        None,
        None,
        kpi_lead_time_project,
    ),
    KpiSpec(
        "coordinator_success_rate",
        _("コーディネーター支援事業の成功率"),
        2,
        "%",
        D(80),
        D("52.1"),
        kpi_coordinator_success_rate,
    ),
    KpiSpec(
        "coordinators",
        _("コーディネーター数（23区）"),
        2,
        _("人"),
        D(30),
        None,
        kpi_coordinators,
        POPULATION,
    ),
    KpiSpec(
        "cases_per_coordinator",
        _("コーディネーター1人あたり年間支援件数"),
        2,
        _("件"),
        D(15),
        None,
        kpi_cases_per_coordinator,
    ),
    KpiSpec(
        "continuation_1y", _("開始1年後の事業継続率"), 2, "%", D(80), None, kpi_continuation_1y
    ),
    KpiSpec(
        "training_sessions",
        _("研修の開催回数（年間）"),
        2,
        _("回"),
        D(24),
        None,
        kpi_training_sessions,
    ),
    KpiSpec(
        "network_meetings",
        _("ネットワーク会議の開催回数（年間）"),
        2,
        _("回"),
        D(6),
        None,
        kpi_network_meetings,
    ),
    KpiSpec(
        "staff_trained", _("連携研修を修了した職員の割合"), 2, "%", D(50), None, kpi_staff_trained
    ),
    KpiSpec(
        "staff_skills",
        _("連携スキルを「十分」と自己評価する職員の割合"),
        2,
        "%",
        D(70),
        D("18.7"),
        kpi_staff_skills,
    ),
    KpiSpec(
        "average_improvement",
        _("評価開始後の事業効果の平均改善率"),
        3,
        "%",
        D(30),
        None,
        kpi_average_improvement,
    ),
    KpiSpec(
        "evaluation_coverage",
        _("評価を実施している事業の割合"),
        3,
        "%",
        D(80),
        None,
        kpi_evaluation_coverage,
    ),
    KpiSpec(
        "continuation_2y",
        _("開始2年後の継続・発展率"),
        3,
        "%",
        D(85),
        D("67.3"),
        kpi_continuation_2y,
    ),
    KpiSpec(
        "committee_score",
        _("外部評価委員会の評点（1〜5）"),
        3,
        _("点"),
        D("4.0"),
        None,
        kpi_committee_score,
    ),
    KpiSpec(
        "actions_implemented", _("改善提言の実施率"), 3, "%", D(70), None, kpi_actions_implemented
    ),
    KpiSpec(
        "cases_reused",
        _("他区で活用されたベストプラクティス（年間）"),
        3,
        _("件"),
        D(10),
        None,
        kpi_cases_reused,
        NONE,
    ),
    KpiSpec(
        "measurement_availability",
        _("デジタル効果測定システム稼働率"),
        3,
        "%",
        D(95),
        None,
        kpi_measurement_availability,
    ),
    KpiSpec(
        "reports_published",
        _("評価報告書の公表数（年間）"),
        3,
        _("件"),
        D(4),
        None,
        kpi_reports_published,
    ),
]
KPI_BY_CODE = {spec.code: spec for spec in KPI_SPECS}
PILLARS = {
    1: _("支援策① 地域課題データベース・マッチング"),
    2: _("支援策② コーディネーター制度"),
    3: _("支援策③ 効果測定・評価"),
}


def kpi_result(spec: KpiSpec, **values: Any) -> KpiResult:
    """A KpiResult of `spec` (its code, label, pillar, unit, and the 23-ward target and baseline
    unless `values` holds a ward's) with `values`."""
    values.setdefault("target", spec.target)
    values.setdefault("baseline", spec.baseline)
    return KpiResult(code=spec.code, label=spec.label, pillar=spec.pillar, unit=spec.unit, **values)


def kpi_compute(
    code: str, fiscal_year: int, ward: Ward | None = None, quarter: int | None = None
) -> KpiResult:
    """The KPI `code` for the 年度 (its quarter), all wards or `ward`, against the ward's target
    when the figure is the ward's own (evaluation.kpi.targets)."""
    spec = KPI_BY_CODE[code]
    period = period_range(fiscal_year, quarter) if quarter else None
    data = spec.compute(fiscal_year, ward, period=period)
    ward_scoped = data.get("ward_scoped", True)
    target, target_note = ward_target(spec, ward if ward_scoped else None)
    # The seed's baselines are 23-ward figures: a count's baseline says nothing of one ward.
    own_count = ward is not None and ward_scoped and spec.ward_target == POPULATION
    return kpi_result(
        spec,
        target=target,
        target_note=target_note,
        baseline=None if own_count else spec.baseline,
        value=data.get("value"),
        records=data.get("records", []),
        numerator=data.get("numerator"),
        denominator=data.get("denominator"),
        note=str(data.get("note", "")),
        ward_scoped=ward_scoped,
    )


def kpis_for(
    fiscal_year: int, ward: Ward | None = None, quarter: int | None = None
) -> list[KpiResult]:
    with kpi_memo():
        return [kpi_compute(spec.code, fiscal_year, ward, quarter) for spec in KPI_SPECS]
