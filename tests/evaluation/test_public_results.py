"""The public results page: published reports (figures, PDF and CSV files) and each public
collaboration project with its published results, for anyone, in Japanese and English."""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from evaluation import services
from evaluation.models import CaseStudy, ReportFile
from issues.models import IssueStatus
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _english(client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def _report(*, fiscal_year=2025, fmt="csv", published=True, quarter=None) -> ReportFile:
    report = ReportFile.objects.create(
        fiscal_year=fiscal_year,
        quarter=quarter,
        format=fmt,
        status=ReportFile.Status.DONE,
        figures=[
            {
                "fiscal_year": fiscal_year,
                "code": "reports_published",
                "indicator": "評価報告書の公表数（年間）",
                "value": "0",  # the snapshot is taken before the report is published
                "target": "4",
                "baseline": None,
                "unit": "件",
            }
        ],
    )
    report.file.save(f"report.{fmt}", ContentFile(b"%PDF-1.7 test" if fmt == "pdf" else b"a,b\n"))
    if published:
        services.report_publish(report=report)
    return report


def _published_row(response, fiscal_year):
    year = next(y for y in response.context["years"] if y["fiscal_year"] == fiscal_year)
    return next(r for r in year["rows"] if r["code"] == "reports_published")


@pytest.mark.parametrize("fmt", ["pdf", "csv"])
def test_anyone_downloads_a_published_report(client, fmt):
    report = _report(fmt=fmt)
    html = client.get(reverse("evaluation:public")).content.decode()
    url = reverse("evaluation:public_report_download", args=[report.pk])
    assert f'href="{url}"' in html
    response = client.get(url)
    assert response.status_code == 200
    assert f"evaluation_report_FY2025.{fmt}" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF" if fmt == "pdf" else b"a,b")


def test_an_unpublished_or_unfinished_report_is_not_downloadable(client):
    hidden = _report(published=False)
    assert (
        client.get(reverse("evaluation:public_report_download", args=[hidden.pk])).status_code
        == 404
    )
    withdrawn = _report()
    services.report_publish(report=withdrawn, published=False)
    assert (
        client.get(reverse("evaluation:public_report_download", args=[withdrawn.pk])).status_code
        == 404
    )
    html = client.get(reverse("evaluation:public")).content.decode()
    assert "公表済みの評価報告書はまだありません。" in html


def test_the_published_report_count_counts_publications_not_the_snapshot(client):
    # The snapshot inside the file says 0 (it was taken before publication); the page counts
    # the publications of the 年度 as the KPI does: PDF and CSV of one report are one.
    with time_machine.travel(datetime.datetime(2025, 10, 1, 3, 0, tzinfo=datetime.UTC)):
        _report(fmt="pdf")
        _report(fmt="csv")
    response = client.get(reverse("evaluation:public"))
    html = response.content.decode()
    row = _published_row(response, 2025)
    assert str(row["value"]) == "1" and row["live"] is True
    assert "評価報告書の公表数（年間）" in html and "2025年10月1日（水）" in html


@pytest.fixture
def public_project():
    issue = IssueFactory(title="公園の見守り", status=IssueStatus.COLLABORATING)
    project = ProjectFactory(
        title="公園見守りプロジェクト",
        summary="公園で子どもの見守りを行う。",
        start_date=datetime.date(2026, 4, 1),
        public_cost=1_234_567,
    )
    project.issues.add(issue)
    project.organizations.add(OrganizationFactory(name="株式会社みまもり"))
    project.organizations.add(OrganizationFactory(name="審査中の団体", status="pending"))
    CaseStudy.objects.create(
        project=project,
        kind="best",
        title="公開した成果",
        summary="参加者が増えた。",
        published=True,
    )
    CaseStudy.objects.create(
        project=project, kind="failure", title="非公開の振り返り", summary="内部の反省。"
    )
    return project


@pytest.mark.parametrize("language", ["ja", "en"])
def test_project_page_shows_published_results_only(client, public_project, language):
    if language == "en":
        _english(client)
    response = client.get(reverse("evaluation:public_project", args=[public_project.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and f'<html lang="{language}">' in html
    assert "公園見守りプロジェクト" in html and "株式会社みまもり" in html
    assert "公開した成果" in html and "公園の見守り" in html
    assert "非公開の振り返り" not in html and "内部の反省" not in html
    assert "審査中の団体" not in html
    assert "1,234,567" not in html  # costs are staff information
    assert ("Wed 1 April 2026" if language == "en" else "2026年4月1日（水）") in html


def test_a_project_the_public_may_not_see_answers_404(client):
    hidden = ProjectFactory()
    hidden.issues.add(IssueFactory(status=IssueStatus.DRAFT))
    assert client.get(reverse("evaluation:public_project", args=[hidden.pk])).status_code == 404


def test_issue_page_shows_its_project_and_links_to_its_results(client, public_project):
    issue = public_project.issues.select_related("ward").get()
    html = client.get(
        reverse("issues:public_detail", args=[issue.public_ward_key, issue.pk])
    ).content.decode()
    assert "連携事業と成果" in html and "公園見守りプロジェクト" in html
    assert reverse("evaluation:public_project", args=[public_project.pk]) in html
    assert "公開した成果" in html and "非公開の振り返り" not in html


def test_issue_page_query_count_does_not_grow_with_projects(
    client, public_project, django_assert_max_num_queries
):
    issue = public_project.issues.select_related("ward").get()
    url = reverse("issues:public_detail", args=[issue.public_ward_key, issue.pk])
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for n in range(4):
        project = ProjectFactory(title=f"追加事業{n}")
        project.issues.add(issue)
        project.organizations.add(OrganizationFactory())
        CaseStudy.objects.create(
            project=project, kind="best", title=f"成果{n}", summary="…", published=True
        )
    with django_assert_max_num_queries(len(one)):
        html = client.get(url).content.decode()
    assert html.count("追加事業") >= 4
