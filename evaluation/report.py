"""Building the annual / quarterly evaluation report: CSV rows and a Japanese PDF (WeasyPrint)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation import charts
from evaluation.committee.selectors import committee_report
from evaluation.kpi import KPI_BY_CODE, PILLARS, kpi_compute, kpis_for
from evaluation.kpi.base import KpiResult, kpi_memo
from evaluation.models import CaseFactor, CaseStudy, ImprovementAction, ReportFile, ReportIssuer
from evaluation.selectors import (
    actions_for,
    committee_scores_by_project,
    gap_by_field,
    payments_due_total,
)
from matching.projects.models import PROJECT_UNDERWAY, Project
from portal.fiscal import (
    date_label,
    english,
    fiscal_year_label,
    period_label,
    period_range,
)
from portal.models import Ward
from portal.rounding import half_up, percent
from portal.tabular import csv_bytes

# The report CSV's columns, in order: (key, Japanese header). The header row is Japanese unless
# an English one is asked for (--lang en, the UI language); "quarter" only in a quarterly report.
CSV_COLUMNS = [
    ("fiscal_year", gettext_lazy("年度")),
    ("quarter", gettext_lazy("四半期")),
    ("indicator", gettext_lazy("指標")),
    ("value", gettext_lazy("値")),
    ("target", gettext_lazy("目標値")),
    ("baseline", gettext_lazy("基準値")),
    ("unit", gettext_lazy("単位")),
]
CSV_LANGUAGES = tuple(ReportFile.Language.values)


def csv_language(requested: str | None = None) -> str:
    """The report CSV's language: ``requested`` when it is one of CSV_LANGUAGES, otherwise the
    active UI language ("en" for an English session, "ja" for anything else)."""
    if requested in CSV_LANGUAGES:
        return str(requested)
    return "en" if english() else "ja"


NO_DATA = "データなし"
TOP = 10  # projects shown at the top and at the bottom of the committee scores
ACTION_ROWS = 30  # open / not implemented actions listed in full


def report_rows(
    *, fiscal_year: int, quarter: int | None = None, ward: Ward | None = None
) -> list[KpiResult]:
    return kpis_for(fiscal_year, ward, quarter)


def report_csv(
    *,
    fiscal_year: int,
    quarter: int | None = None,
    ward: Ward | None = None,
    lang: str = "ja",
    kpis: list[KpiResult] | None = None,
) -> bytes:
    """One row per KPI (UTF-8 with BOM), headed in ``lang`` ("ja" or "en") from CSV_COLUMNS:
    年度, [四半期 (第2四半期 / Q2) in a quarterly report], 指標, 値, 目標値, 基準値, 単位.

    Indicator names and units are in ``lang`` too. A KPI without data has an empty value cell.
    ``kpis``: the period's KPIs when the caller computed them already (report_render), else
    computed here. ValueError for a language other than CSV_LANGUAGES.
    """
    if lang not in CSV_LANGUAGES:
        raise ValueError(f"report CSV language must be one of {CSV_LANGUAGES}, not {lang!r}")
    columns = [(key, label) for key, label in CSV_COLUMNS if quarter or key != "quarter"]
    if kpis is None:
        kpis = report_rows(fiscal_year=fiscal_year, quarter=quarter, ward=ward)
    with translation.override(lang):
        quarter_text = _("第%(q)d四半期") % {"q": quarter} if quarter else ""
        cells = [
            {
                "fiscal_year": fiscal_year,
                "quarter": quarter_text,
                "indicator": str(k.label),
                "value": _plain(k.value),
                "target": _plain(k.target),
                "baseline": _plain(k.baseline),
                "unit": str(k.unit),
            }
            for k in kpis
        ]
        headers = [str(label) for _key, label in columns]
    return csv_bytes(headers=headers, rows=[[row[key] for key, _l in columns] for row in cells])


def _plain(value: Decimal | None) -> str:
    """A CSV cell: at most two decimals rounded half up, no separators, no trailing zeros."""
    rounded = half_up(value, 2)
    if rounded is None:
        return ""
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def committee_score_distribution(scores: list[dict]) -> list[tuple[int, int]]:
    """[(5, n), (4, n), …, (1, n)]: projects per average committee score rounded half up
    (四捨五入, as the report's column 「平均評点（四捨五入）」 says: 4.5 counts as 5, 3.5 as 4)."""
    rounded = [half_up(row["avg"]) for row in scores]
    return [(score, sum(1 for r in rounded if r == score)) for score in range(5, 0, -1)]


# The PDF report's Japanese font, looked up in this order (docs/decisions/0006):
# 1. settings.REPORT_FONT_DIR (env REPORT_FONT_DIR), when set: a folder with a Regular and a Bold
#    file named as in FONT_FILES; a folder without them is an error, not a fallback;
# 2. Debian's fonts-noto-cjk (the Docker image and CI install it);
# 3. the noto-cjk-sans-jp-* wheels of the dev group (upstream Noto Sans CJK JP 2.004, OFL),
#    for `make run` on a machine without Debian's package.
# Without any of them the report refuses to build: WeasyPrint would silently draw tofu.
FONT_FILES = {
    "regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKjp-Regular.otf", "NotoSansJP-Regular.otf"),
    "bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKjp-Bold.otf", "NotoSansJP-Bold.otf"),
}
DEBIAN_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)
FONT_PACKAGES = {"regular": "noto_cjk_sans_jp_regular", "bold": "noto_cjk_sans_jp_bold"}
FONTS_MISSING = (
    "PDF報告書の日本語フォントがありません / no Japanese font for the PDF report: "
    "install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) "
    "or set REPORT_FONT_DIR to a folder with NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc"
)


class ReportFontsMissing(ImproperlyConfigured):
    """No Japanese font for the PDF report; the message names what to install."""


def _fonts_in(folder: Path) -> dict[str, Path] | None:
    found = {}
    for weight, names in FONT_FILES.items():
        path = next((folder / name for name in names if (folder / name).is_file()), None)
        if path is None:
            return None
        found[weight] = path
    return found


def _fonts_from_packages() -> dict[str, Path] | None:
    found = {}
    for weight, module_name in FONT_PACKAGES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        path = Path(str(module.FONT_PATH))
        if not path.is_file():
            return None
        found[weight] = path
    return found


@cache
def font_paths() -> dict[str, Path]:
    """{"regular": path, "bold": path} of the report's Japanese font; ReportFontsMissing if none."""
    explicit = getattr(settings, "REPORT_FONT_DIR", "")
    if explicit:
        found = _fonts_in(Path(explicit))
        if found is None:
            raise ReportFontsMissing(
                f"REPORT_FONT_DIR={explicit} has no Regular and Bold font "
                f"({', '.join(FONT_FILES['regular'])} and their -Bold): {FONTS_MISSING}"
            )
        return found
    for folder in DEBIAN_FONT_DIRS:
        found = _fonts_in(folder)
        if found:
            return found
    found = _fonts_from_packages()
    if found:
        return found
    raise ReportFontsMissing(FONTS_MISSING)


def report_css() -> str:
    fonts = font_paths()
    face = (
        '@font-face { font-family: "Report JP"; font-weight: 400; '
        f'src: url("{fonts["regular"].as_uri()}"); }}\n'
        '@font-face { font-family: "Report JP"; font-weight: 700; '
        f'src: url("{fonts["bold"].as_uri()}"); }}\n'
    )
    css = (Path(settings.BASE_DIR) / "static" / "css" / "report.css").read_text(encoding="utf-8")
    return face + css


def report_context(
    *,
    fiscal_year: int,
    quarter: int | None = None,
    ward: Ward | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    step = progress or (lambda pct: None)
    date_from, date_to = period_range(fiscal_year, quarter)
    kpis = report_rows(fiscal_year=fiscal_year, quarter=quarter, ward=ward)
    step(30)
    by_pillar = [
        {"pillar": PILLARS[p], "kpis": [k for k in kpis if k.pillar == p]} for p in sorted(PILLARS)
    ]
    period_projects = Project.objects.filter(start_date__lte=date_to).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=date_from)
    )
    projects = period_projects.filter(ward=ward) if ward else period_projects
    totals = projects.aggregate(
        n=Count("id"),
        public=Sum("public_cost"),
        partner=Sum("partner_cost"),
        in_kind=Sum("in_kind_value"),
        participants=Sum("participants"),
        beneficiaries=Sum("beneficiaries"),
    )
    cost_total = sum((totals[k] or 0) for k in ("public", "partner", "in_kind"))
    totals["partner_share"] = percent(
        (totals["partner"] or 0) + (totals["in_kind"] or 0), cost_total
    )
    with_data = [k for k in kpis if k.has_data]
    met = [k for k in with_data if k.met]
    years = list(range(fiscal_year - 4, fiscal_year + 1))
    created = [kpi_compute("collaborations_created", fy, ward).value for fy in years]
    step(45)
    achievement_rows = [
        (str(k.label), [None if k.value is None else percent(k.value, k.target or 0)]) for k in kpis
    ]
    gap = gap_by_field(fiscal_year=fiscal_year, ward=ward)
    step(55)
    scores = committee_scores_by_project(fiscal_year=fiscal_year, ward=ward)
    actions = list(actions_for(fiscal_year=fiscal_year).order_by("review__project__title", "id"))
    if ward:
        actions = [a for a in actions if a.review.project.ward_id == ward.pk]
    cases = (
        CaseStudy.objects.select_related("project__ward")
        .annotate(reuse_count=Count("reuses"))
        .order_by("-reuse_count", "-updated_at")
    )
    if ward:
        cases = cases.filter(project__ward=ward)
    appendix = ward_appendix(period_projects)
    factor_names = dict(CaseFactor.choices)
    highlights = []
    for case in cases[:6]:
        highlights.append(
            {
                "case": case,
                "factors": [str(factor_names.get(f, f)) for f in (case.success_factors or [])],
                "failure_factors": [
                    str(factor_names.get(f, f)) for f in (case.failure_factors or [])
                ],
            }
        )
    step(65)
    actions_total = len(actions)
    actions_by_status = [
        (str(label), sum(1 for a in actions if a.status == value))
        for value, label in ImprovementAction.Status.choices
    ]
    pending_actions = [a for a in actions if a.status != ImprovementAction.Status.IMPLEMENTED]
    score_distribution = committee_score_distribution(scores)
    reconciliation = project_counts_reconciled(
        active=period_projects.filter(ward=ward) if ward else period_projects,
        kpis=kpis,
        gap=gap,
        scored=len(scores),
        appendix_total=sum((row["figures"] or {}).get("n", 0) for row in appendix),
        ward=ward,
        quarter=quarter,
    )
    step(70)
    stock_codes = {"registered_organisations", "issues_in_database", "coordinators"}
    has_data = bool(totals["n"]) or any(k.value for k in kpis if k.code not in stock_codes)
    return {
        "fiscal_year": fiscal_year,
        "quarter": quarter,
        "ward": ward,
        "title_label": period_label(fiscal_year, quarter),
        "fy_label": fiscal_year_label(fiscal_year),
        "period_from": date_label(date_from, wareki=True),
        "period_to": date_label(date_to, wareki=True),
        # The date of issue is the day in Tokyo the file is built (not UTC's date before 9:00).
        "created_on": date_label(timezone.localdate(), wareki=True),
        "issuer": ReportIssuer.objects.order_by("pk").first(),
        "kpis": kpis,
        "by_pillar": by_pillar,
        "kpi_with_data": len(with_data),
        "kpi_met": len(met),
        "kpi_total": len(kpis),
        "totals": totals,
        "payments": payments_due_total(fiscal_year=fiscal_year, ward=ward),
        "has_data": has_data,
        "chart_achievement": charts.hbar_chart(
            achievement_rows,
            series=["目標に対する達成度（%）"],
            title="KPIの目標達成度",
            max_value=150,
            unit="%",
            label_width=300,
        ),
        "chart_trend": charts.column_chart(
            [fiscal_year_label(fy).split("（")[0] for fy in years],
            created,
            title="連携事業数の推移（年度別）",
            target=KPI_BY_CODE["collaborations_created"].target,
        ),
        "gap": gap,
        "chart_gap": charts.hbar_chart(
            [(row["field"].name, [row["need"], row["coverage"]]) for row in gap],
            series=["課題の割合（ニーズ）", "事業の割合（カバー率）"],
            title="分野別 ニーズとカバー率",
            unit="%",
        )
        if gap
        else None,
        "scores_top": scores[:TOP],
        "scores_bottom": scores[TOP:][-TOP:] if len(scores) > TOP else [],
        "scores_count": len(scores),
        "score_distribution": score_distribution,
        "committee": committee_report(fiscal_year=fiscal_year, ward=ward),
        "actions_total": actions_total,
        "actions_by_status": actions_by_status,
        "actions_implemented": sum(1 for a in actions if a.status == "implemented"),
        "pending_actions": pending_actions[:ACTION_ROWS],
        "pending_more": max(0, len(pending_actions) - ACTION_ROWS),
        "highlights": highlights,
        "ward_appendix": appendix,
        "ward_kpis": ward_kpi_appendix(fiscal_year=fiscal_year, quarter=quarter),
        "reconciliation": reconciliation,
        "report_css": mark_safe(report_css()),  # noqa: S308  # nosec B308 B703 — our own stylesheet and font paths
    }


def project_counts_reconciled(
    *,
    active: QuerySet[Project],
    kpis: list[KpiResult],
    gap: list[dict],
    scored: int,
    appendix_total: int,
    ward: Ward | None,
    quarter: int | None,
) -> list[dict]:
    """The report's project counts side by side, each with how it counts and why it differs
    from 対象事業数 (the summary's count): [{"figure", "count", "counts", "difference"}].

    対象事業数 = ``active``, the projects run at some time in the period (started in it or
    earlier, not ended before it). The others: the KPI 連携事業数 (started in the period,
    cancelled included: evaluation.kpi.pillar1.kpi_collaborations_created), the gap analysis
    (the 年度's active projects less the cancelled and those without a field:
    evaluation.selectors.gap_by_field), the committee's scored projects, and the appendix's
    total over all wards. Strings are Japanese (the PDF is). Two queries.
    """
    figures = active.aggregate(
        n=Count("id"),
        cancelled=Count("id", filter=Q(status=Project.Status.CANCELLED)),
        no_field=Count("id", filter=Q(field__isnull=True) & ~Q(status=Project.Status.CANCELLED)),
    )
    n = figures["n"]
    started = next(int(k.value or 0) for k in kpis if k.code == "collaborations_created")
    in_gap = sum(row["projects"] for row in gap)
    period = "四半期" if quarter else "年度"
    rows = [
        {
            "figure": "対象事業数（1. 概要・事業費）",
            "count": n,
            "counts": f"この{period}に実施していた事業（前{period}以前に始まり続いているもの、"
            f"この{period}に終了・中止したものを含む）",
            "difference": "基準",
        },
        {
            "figure": "KPI「プラットフォーム経由の連携事業数」・推移の図",
            "count": started,
            "counts": f"この{period}に開始した事業（中止したものを含む）",
            "difference": f"前{period}以前に開始し、この{period}も続いている {n - started}件を"
            "含まないため少なくなります"
            if n != started
            else "同じ件数です（継続中の事業はありません）",
        },
        {
            "figure": "4. ギャップ分析の事業数",
            "count": in_gap,
            "counts": "年度中に実施していた事業のうち、中止したものと分野が未設定のものを除く",
            "difference": "同じ件数です"
            if in_gap == n
            else "四半期報告でも年度全体で数え、中止と分野未設定の事業を除くため"
            if quarter
            else f"中止 {figures['cancelled']}件・分野未設定 {figures['no_field']}件を除くため",
        },
        {
            "figure": "5. 外部評価を受けた事業",
            "count": scored,
            "counts": "この年度に外部評価委員会の評点がついた事業",
            "difference": "委員会が評価の対象に選んだ事業だけを数えるため"
            if scored != n
            else "同じ件数です",
        },
    ]
    if ward is not None:
        rows.append(
            {
                "figure": "付録1. 23区別の連携事業（全区の合計）",
                "count": appendix_total,
                "counts": "対象事業数と同じ数え方で、23区すべてと区指定なしの事業を合計",
                "difference": f"{ward.name_ja}だけでなく全区の事業を数えるため",
            }
        )
    return rows


# The appendix's per-ward KPIs: those measured within one ward (its issues, projects, proposals,
# organisations, users); the others are the same in every ward or not recorded per ward. Each
# with the short column heading the 23-row table has room for (the full names are in the KPI
# table and definitions).
APPENDIX_KPIS = (
    ("collaborations_created", "連携事業数（件）"),
    ("match_success_rate", "マッチング成功率（%）"),
    ("registered_organisations", "登録団体数"),
    ("issues_in_database", "課題の登録件数"),
    ("monthly_active_users", "月間アクティブユーザー数（人）"),
    ("lead_time_first_proposal", "最初の提案までの日数（中央値）"),
)


def ward_kpi_appendix(*, fiscal_year: int, quarter: int | None = None) -> dict:
    """The appendix's per-ward KPI table: {"headings": [str], "rows": [{"ward": Ward,
    "values": [Decimal | None] in APPENDIX_KPIS order, "has_data": bool}]} for all 23 wards in
    code order. A ward has no data when every value is None or 0 (the PDF says 「データなし」
    instead of a row of zeros). Values as kpi_compute gives them (shown rounded half up)."""
    rows = []
    with kpi_memo():
        for ward in Ward.objects.order_by("code"):
            values = [
                kpi_compute(code, fiscal_year, ward, quarter).value for code, _h in APPENDIX_KPIS
            ]
            rows.append({"ward": ward, "values": values, "has_data": any(values)})
    return {"headings": [heading for _code, heading in APPENDIX_KPIS], "rows": rows}


def ward_appendix(projects: QuerySet[Project]) -> list[dict]:
    """The appendix's table: [{"ward": Ward, "figures": dict | None}] for all 23 wards in code
    order, then {"ward": None, "figures": dict} when some projects have no ward.

    figures = {n, running, completed, cancelled (projects), public, partner, in_kind (yen)} of
    ``projects`` (the report period's projects of every ward, whichever ward the report is for,
    so the appendix compares all 23); None for a ward without a project in the period, which the
    PDF prints as 「データなし」 rather than zeros that would read as measured. Two queries.
    """
    by_ward: dict[int | None, dict] = {
        row["ward"]: dict(row)
        for row in projects.order_by()
        .values("ward")
        .annotate(
            n=Count("id"),
            running=Count("id", filter=Q(status__in=PROJECT_UNDERWAY)),
            completed=Count("id", filter=Q(status=Project.Status.COMPLETED)),
            cancelled=Count("id", filter=Q(status=Project.Status.CANCELLED)),
            public=Sum("public_cost"),
            partner=Sum("partner_cost"),
            in_kind=Sum("in_kind_value"),
        )
    }
    rows = [{"ward": w, "figures": by_ward.get(w.pk)} for w in Ward.objects.order_by("code")]
    if None in by_ward:
        rows.append({"ward": None, "figures": by_ward[None]})
    return rows


def report_pdf_from_context(context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string("evaluation/report_pdf.html", context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def report_pdf(
    *,
    fiscal_year: int,
    quarter: int | None = None,
    ward: Ward | None = None,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    return report_render(
        fiscal_year=fiscal_year, fmt="pdf", quarter=quarter, ward=ward, progress=progress
    )[0]


def report_render(
    *,
    fiscal_year: int,
    fmt: str,
    quarter: int | None = None,
    ward: Ward | None = None,
    progress: Callable[[int], None] | None = None,
    lang: str = "ja",
) -> tuple[bytes, list[dict]]:
    """(file content, KPI snapshot) for a report file; ``lang`` ("ja"/"en") is the CSV's
    language (the PDF is always Japanese)."""
    step = progress or (lambda pct: None)
    if fmt == "csv":
        kpis = report_rows(fiscal_year=fiscal_year, quarter=quarter, ward=ward)
        figures = [k.as_row(fiscal_year) for k in kpis]
        content = report_csv(
            fiscal_year=fiscal_year, quarter=quarter, ward=ward, lang=lang, kpis=kpis
        )
        return content, figures
    font_paths()  # ReportFontsMissing before any work, never a PDF with tofu
    # The PDF is written in Japanese whoever asked for it (an English session building it
    # in-process included): its labels, dates (和暦) and yen alike.
    with translation.override("ja"):
        context = report_context(fiscal_year=fiscal_year, quarter=quarter, ward=ward, progress=step)
        figures = [k.as_row(fiscal_year) for k in context["kpis"]]
        step(75)
        pdf = report_pdf_from_context(context)
    step(95)
    return pdf, figures


def report_filename(*, fiscal_year: int, quarter: int | None, fmt: str) -> str:
    suffix = f"_Q{quarter}" if quarter else ""
    return f"evaluation_report_FY{fiscal_year}{suffix}.{fmt}"


def report_file_response(report: ReportFile) -> FileResponse:
    """A built report file as a download named evaluation_report_FY2025[_Q1].pdf|csv."""
    content_type = "application/pdf" if report.format == "pdf" else "text/csv; charset=utf-8"
    return FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report_filename(
            fiscal_year=report.fiscal_year, quarter=report.quarter, fmt=report.format
        ),
        content_type=content_type,
    )
