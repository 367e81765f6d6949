import csv
import datetime
import io
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from evaluation import services
from evaluation.kpi import KPI_SPECS
from evaluation.models import ReportFile, ReportIssuer
from evaluation.report import report_csv, report_pdf, report_render, report_rows
from portal.models import AccessLog, Ward


def test_a_csv_report_computes_its_kpis_once(planted):
    # The worker's CSV build computed every KPI twice: once for the snapshot, once for the file.
    with CaptureQueriesContext(connection) as kpis_alone:
        report_rows(fiscal_year=2025)
    with CaptureQueriesContext(connection) as build:
        content, figures = report_render(fiscal_year=2025, fmt="csv")
    assert len(build) == len(kpis_alone)
    assert content == report_csv(fiscal_year=2025) and len(figures) == len(KPI_SPECS)


def test_csv_layout_one_row_per_indicator_with_bom(planted):
    data = report_csv(fiscal_year=2025)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(data)
    assert rows[0] == ["年度", "指標", "値", "目標値", "基準値", "単位"]
    assert len(rows) == 1 + len(KPI_SPECS)
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["プラットフォーム経由の連携事業数（年度）"] == [
        "2025",
        "プラットフォーム経由の連携事業数（年度）",
        "2",
        "200",
        "60",
        "件",
    ]
    assert by_name["マッチング成功率（提案のうち事業化した割合）"][2:] == [
        "33.3",
        "60",
        "23.8",
        "%",
    ]
    assert by_name["外部評価委員会の評点（1〜5）"][2:4] == ["4", "4"]
    assert all(row[0] == "2025" for row in rows[1:])


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_in_english_has_english_headers_and_indicator_names(planted):
    rows = _csv_rows(report_csv(fiscal_year=2025, lang="en"))
    assert rows[0] == ["Fiscal year", "Metric", "Value", "Target", "Baseline", "Unit"]
    assert len(rows) == 1 + len(KPI_SPECS)
    names = [row[1] for row in rows[1:]]
    assert "Collaborations created through the platform (fiscal year)" in names, names
    assert not any("連携事業数" in name for name in names)


def test_quarterly_csv_has_a_quarter_column_in_either_language(planted):
    ja = _csv_rows(report_csv(fiscal_year=2025, quarter=2))
    assert ja[0] == ["年度", "四半期", "指標", "値", "目標値", "基準値", "単位"]
    assert {tuple(row[:2]) for row in ja[1:]} == {("2025", "第2四半期")}
    en = _csv_rows(report_csv(fiscal_year=2025, quarter=2, lang="en"))
    assert en[0][:3] == ["Fiscal year", "Quarter", "Metric"]
    assert {tuple(row[:2]) for row in en[1:]} == {("2025", "Q2")}
    assert len(ja) == len(en) == 1 + len(KPI_SPECS)


def test_csv_refuses_an_unknown_language(db):
    with pytest.raises(ValueError, match="fr"):
        report_csv(fiscal_year=2025, lang="fr")


def test_csv_of_a_year_without_data_has_empty_values(db):
    rows = _csv_rows(report_csv(fiscal_year=2010))
    assert len(rows) == 1 + len(KPI_SPECS)
    assert {row[2] for row in rows[1:]} <= {"", "0"}


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _fonts(path: Path) -> str:
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_has_japanese_headings_figures_and_embedded_fonts(planted, tmp_path):
    data = report_pdf(fiscal_year=2025)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    for heading in [
        "2025年度（令和7年度）",
        "評価報告書",
        "年度KPI一覧",
        "ニーズと連携のギャップ分析",
        "外部評価委員会の評点と改善アクション",
        "事例（ベストプラクティス・失敗事例）",
        "令和7年4月1日（火）",
    ]:
        assert heading in text, heading
    assert "33.3" in text and "見守りの輪" in text and "高齢者支援" in text
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    fonts = _fonts(path)
    jp_lines = [line for line in fonts.splitlines() if "Report-JP" in line]
    assert jp_lines and all(" yes yes yes " in line for line in jp_lines), fonts


def test_pdf_of_a_year_without_data_still_renders_and_says_so(db):
    text = _pdf_text(report_pdf(fiscal_year=2010))
    assert "2010年度（平成22年度）" in text
    assert "記録はありません" in text
    assert "データなし" in text


def test_pdf_appendix_lists_all_23_wards_and_says_which_have_no_data(planted):
    text = _pdf_text(report_pdf(fiscal_year=2025, ward=planted["chiyoda"]))
    appendix = text[
        text.index("付録1. 23区別の連携事業（対象期間") : text.index("付録2. 23区別の主なKPI（")
    ]
    names = list(Ward.objects.order_by("code").values_list("name_ja", flat=True))
    assert len(names) == 23
    positions = [appendix.index(name) for name in names]
    assert positions == sorted(positions)  # 団体コード順: 千代田区 … 江戸川区
    lines = {line.split()[0]: line for line in appendix.splitlines() if line.split()}
    # 港区 has no project in FY2025: said in words, not a row of zeros.
    assert lines["港区"].split()[1:] == ["データなし"], lines["港区"]
    # Wards with projects show their counts even in 千代田区's own report.
    assert "データなし" not in lines["千代田区"] and "データなし" not in lines["世田谷区"]
    assert lines["世田谷区"].split()[1] == "1"

    # 付録2: every ward's own KPIs, 港区 (no record in any of them) said in words.
    kpi_appendix = text[text.index("付録2. 23区別の主なKPI（2025年度") :]
    headings = kpi_appendix.replace("\n", "")  # a long heading wraps in its column
    assert "連携事業数（件）" in headings and "月間アクティブユーザー数（人）" in headings
    positions = [kpi_appendix.index(f"\n{name} ") for name in names]
    assert positions == sorted(positions)
    cells = {
        line.split()[0]: line.split()[1:] for line in kpi_appendix.splitlines() if line.split()
    }
    assert cells["港区"] == ["データなし"], cells["港区"]
    # 千代田区 and 世田谷区 each started one project in 年度2025 (the first column).
    assert cells["千代田区"][0] == "1" and cells["世田谷区"][0] == "1", cells

    # A ward's report counts its own projects; the appendix, all wards': it says why they differ.
    flat = text.replace("\n", "")
    assert "千代田区だけでなく全区の事業を数えるため" in flat
    assert "前年度以前に開始し、この年度も続いている 3件を含まないため" in flat  # 4 ran, 1 began


def test_pdf_cover_names_the_issuer_and_the_tokyo_date_of_issue(db):
    # 2026-03-31 23:30 UTC is already 1 April in Tokyo: the cover dates the issue in Tokyo.
    with time_machine.travel(datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)):
        unset = _pdf_text(report_pdf(fiscal_year=2025))
        ReportIssuer.objects.create(
            issuer="世田谷区", department="政策経営部 地域連携推進課", contact="03-5432-0000"
        )
        text = _pdf_text(report_pdf(fiscal_year=2025))
    cover = text[: text.index("1. ")]
    assert "発行者" in cover and "世田谷区 政策経営部 地域連携推進課" in cover
    assert "連絡先" in cover and "03-5432-0000" in cover
    assert "発行日" in cover and "令和8年4月1日（水）" in cover
    assert "未設定" in unset[: unset.index("1. ")] and "未設定" not in cover


def test_quarterly_pdf(planted):
    text = _pdf_text(report_pdf(fiscal_year=2025, quarter=1))
    assert "第1四半期" in text
    assert "令和7年6月30日（月）" in text


def test_export_report_command(planted, tmp_path):
    out = tmp_path / "report.csv"
    call_command("export_report", str(out), "--fiscal-year", "2025", "--format", "csv")
    assert _csv_rows(out.read_bytes())[0] == ["年度", "指標", "値", "目標値", "基準値", "単位"]
    call_command(
        "export_report",
        str(out),
        "--fiscal-year",
        "2025",
        "--format",
        "csv",
        "--quarter",
        "2",
        "--lang",
        "en",
    )
    rows = _csv_rows(out.read_bytes())
    assert rows[0] == ["Fiscal year", "Quarter", "Metric", "Value", "Target", "Baseline", "Unit"]
    assert rows[1][:2] == ["2025", "Q2"]
    pdf = tmp_path / "report.pdf"
    call_command(
        "export_report", str(pdf), "--fiscal-year", "2025", "--format", "pdf", "--quarter", "2"
    )
    assert "第2四半期" in _pdf_text(pdf.read_bytes())


def test_report_built_by_task_kept_and_served_with_permission(
    planted, evaluator, coordinator, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(fiscal_year=2025, fmt="pdf", created_by=evaluator)
    report.refresh_from_db()
    assert (report.status, report.progress) == ("done", 100)
    name = Path(report.file.name).name
    assert len(name) == 32 + 4 and "2025" not in name  # random, not guessable
    assert any(
        row["code"] == "match_success_rate" and row["value"] == "33.3" for row in report.figures
    )
    url = reverse("evaluation:report_download", args=[report.pk])
    client.force_login(coordinator)
    assert client.get(url).status_code == 403
    client.force_login(evaluator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AccessLog.objects.filter(kind="export", user=evaluator).exists()


def test_report_screen_requests_and_publishes(
    planted, evaluator, client, django_capture_on_commit_callbacks
):
    client.force_login(evaluator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evaluation:reports"), {"fiscal_year": 2024, "format": "csv", "quarter": ""}
        )
    assert response.status_code == 302
    report = ReportFile.objects.get(fiscal_year=2024)
    assert report.status == "done"
    page = client.get(reverse("evaluation:reports"))
    assert reverse("evaluation:report_download", args=[report.pk]) in page.content.decode()
    client.post(reverse("evaluation:report_publish", args=[report.pk]))
    report.refresh_from_db()
    assert report.published_at is not None


def test_report_screen_builds_an_english_csv_when_asked(
    planted, evaluator, client, django_capture_on_commit_callbacks
):
    client.force_login(evaluator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("evaluation:reports"),
            {"fiscal_year": 2025, "format": "csv", "quarter": 3, "language": "en"},
        )
    report = ReportFile.objects.latest("pk")
    assert (report.status, report.quarter, report.language) == ("done", 3, "en")
    assert "CSV (English)" in client.get(reverse("evaluation:reports")).content.decode()
    response = client.get(reverse("evaluation:report_download", args=[report.pk]))
    rows = _csv_rows(b"".join(response.streaming_content))
    assert rows[0][:3] == ["Fiscal year", "Quarter", "Metric"]
    assert rows[1][:2] == ["2025", "Q3"]


@pytest.mark.parametrize("fmt", ["csv"])
def test_failed_build_is_recorded(db, monkeypatch, fmt, django_capture_on_commit_callbacks):
    from evaluation import report as builder

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(builder, "report_render", boom)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        services.report_request(fiscal_year=2025, fmt=fmt)
    report = ReportFile.objects.get()
    assert report.status == "failed" and "disk full" in report.error


# ---------------------------------------------------------------- the report's Japanese font


@pytest.fixture
def no_fonts(monkeypatch, tmp_path, settings):
    """A machine without Debian's fonts-noto-cjk, without the Noto wheels, REPORT_FONT_DIR unset."""
    from evaluation import report as builder

    settings.REPORT_FONT_DIR = ""
    monkeypatch.setattr(builder, "DEBIAN_FONT_DIRS", (tmp_path / "no-fonts-here",))
    monkeypatch.setattr(
        builder, "FONT_PACKAGES", {"regular": "no_such_font_pkg_r", "bold": "no_such_font_pkg_b"}
    )
    builder.font_paths.cache_clear()
    yield
    builder.font_paths.cache_clear()


def test_missing_font_refuses_the_pdf_and_names_what_to_install(no_fonts, tmp_path):
    from evaluation.report import ReportFontsMissing, font_paths

    with pytest.raises(ReportFontsMissing, match=r"apt-get install fonts-noto-cjk"):
        font_paths()
    with pytest.raises(ReportFontsMissing, match="REPORT_FONT_DIR"):
        report_pdf(fiscal_year=2025)


def test_missing_font_command_fails_with_the_message_and_writes_nothing(no_fonts, db, tmp_path):
    from django.core.management.base import CommandError

    pdf = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match=r"apt-get install fonts-noto-cjk"):
        call_command("export_report", str(pdf), "--fiscal-year", "2025", "--format", "pdf")
    assert not pdf.exists()
    with pytest.raises(CommandError, match=r"apt-get install fonts-noto-cjk"):
        call_command("report_fonts", verbosity=0)
    notice = io.StringIO()  # `make run`: one line, and the portal starts all the same
    call_command("report_fonts", notice=True, verbosity=0, stderr=notice)
    assert notice.getvalue().count("\n") == 1
    assert notice.getvalue().startswith("notice: PDF reports are off")
    assert "apt-get install fonts-noto-cjk" in notice.getvalue()
    csv_file = tmp_path / "report.csv"  # the CSV report needs no font
    call_command("export_report", str(csv_file), "--fiscal-year", "2025", "--format", "csv")
    assert csv_file.exists()


def test_missing_font_report_screen_says_what_to_install(no_fonts, evaluator, client):
    client.force_login(evaluator)
    response = client.post(
        reverse("evaluation:reports"), {"fiscal_year": 2025, "format": "pdf", "quarter": ""}
    )
    assert response.status_code == 200
    assert "apt-get install fonts-noto-cjk" in response.content.decode()
    assert not ReportFile.objects.exists()


def test_font_dir_setting_comes_first_and_is_not_silently_skipped(no_fonts, settings, tmp_path):
    from evaluation.report import ReportFontsMissing, font_paths

    folder = tmp_path / "fonts"
    folder.mkdir()
    settings.REPORT_FONT_DIR = str(folder)
    with pytest.raises(ReportFontsMissing, match=r"REPORT_FONT_DIR=.*fonts-noto-cjk"):
        font_paths()
    (folder / "NotoSansCJKjp-Regular.otf").write_bytes(b"")
    (folder / "NotoSansCJK-Bold.ttc").write_bytes(b"")
    font_paths.cache_clear()
    assert font_paths() == {
        "regular": folder / "NotoSansCJKjp-Regular.otf",
        "bold": folder / "NotoSansCJK-Bold.ttc",
    }


def test_debian_fonts_come_before_the_wheels(monkeypatch, settings, tmp_path):
    from evaluation import report as builder

    settings.REPORT_FONT_DIR = ""
    (tmp_path / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    (tmp_path / "NotoSansCJK-Bold.ttc").write_bytes(b"")
    monkeypatch.setattr(builder, "DEBIAN_FONT_DIRS", (tmp_path,))
    builder.font_paths.cache_clear()
    try:
        assert builder.font_paths()["regular"] == tmp_path / "NotoSansCJK-Regular.ttc"
    finally:
        builder.font_paths.cache_clear()


# ------------------------------------------------- contents, reconciled counts, ward KPIs (#16)


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_contents_and_reconciled_project_counts(planted):
    data = report_pdf(fiscal_year=2025)
    pages = _pages(data)
    toc = pages[1]
    assert toc.startswith("目次"), toc
    for heading in [
        "1. 2025年度（令和7年度）の概要",
        "件数の突き合わせ",
        "2. 年度KPI一覧（目標値・基準値）",
        "5. 外部評価委員会の評点と改善アクション",
        "付録1. 23区別の連携事業",
        "付録2. 23区別の主なKPI",
    ]:
        line = next(line for line in toc.splitlines() if line.startswith(heading))
        number = int(line.rstrip().split()[-1].strip("."))  # the dot leader, then the page
        # The heading is on that page (counted from the cover, 1), not only in the contents.
        assert heading in pages[number - 1] and number > 2, (heading, number)

    # 年度2025: five projects ran in it (子育てひろば and 見守り連携 started in it; 学習支援,
    # 中止事業 and 長期事業 began earlier); the KPI counts the two that started, the gap analysis
    # leaves out the cancelled one and the one without a field, the committee scored two.
    text = "\n".join(pages)
    summary = text[
        text.rindex("1. 2025年度（令和7年度）の概要") : text.index("件数の突き合わせ\nこの報告書")
    ]
    assert "対象事業数\n5件" in summary or "対象事業数5件" in summary.replace("\n", ""), summary
    assert "うち期間中に開始 2件" in summary.replace("\n", "")
    table = text[text.index("件数の突き合わせ\nこの報告書") : text.rindex("2. 年度KPI一覧（目標値")]
    flat = table.replace("\n", "")
    assert "前年度以前に開始し、この年度も続いている 3件を含まないため少なくなります" in flat
    assert "中止 1件・分野未設定 1件を除くため" in flat
    assert "委員会が評価の対象に選んだ事業だけを数えるため" in flat
    assert "全区の事業を数えるため" not in flat  # only a ward's report counts fewer than all
    kpis = text[text.rindex("2. 年度KPI一覧（目標値") :].replace("\n", "")
    assert "期間中に開始した事業の数です。実施していた事業（対象事業数）は5件です。" in kpis
