"""One record of each kind the public pages show, with internal details planted in them that
no public page may reveal (used by the page tests and the browser tests)."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from evaluation.models import CaseStudy, ReportFile
from issues.models import Issue, IssueStatus
from matching.events.models import Event, EventStatus, EventTheme
from portal.models import FaqCategory, FaqEntry
from tests.issues.factories import IssueFactory
from tests.matching.factories import ProjectFactory
from tests.partners.factories import OrganizationFactory
from tests.portal.factories import ward

INTERNAL = "内部メモ：区長室へ要報告（外部秘）"
ISSUE_TITLE = "商店街の空き店舗を親子の居場所に"
PROJECT_TITLE = "空き店舗こども広場プロジェクト"
CASE_TITLE = "空き店舗を使った親子の居場所づくり"


def public_world() -> dict:
    """One record of each kind a public page shows (issue, project, case, event, FAQ, report)."""
    issue = IssueFactory(
        title=ISSUE_TITLE,
        ward=ward("13101"),
        status=IssueStatus.COLLABORATING,
        area="神田",
        internal_note=INTERNAL,
        evidence=INTERNAL,
    )
    IssueFactory(title="公園の見守りの担い手", ward=ward("13101"), status=IssueStatus.OPEN)
    project = ProjectFactory(
        title=PROJECT_TITLE, summary="空き店舗を改装し、親子が集まれる広場を開いた。"
    )
    project.issues.add(issue)
    project.organizations.add(OrganizationFactory(name="株式会社かんだ商店会サービス"))
    CaseStudy.objects.create(
        project=project,
        kind="best",
        title=CASE_TITLE,
        summary="商店会・区・企業が役割を分け、半年で月300人が利用した。",
        factors_note=INTERNAL,
        published=True,
    )
    CaseStudy.objects.create(project=project, kind="failure", title=INTERNAL, summary=INTERNAL)
    start = timezone.now() + datetime.timedelta(days=7)
    event = Event.objects.create(
        title="子育てと商店街の交流会",
        theme=EventTheme.objects.order_by("pk").first(),
        capacity=40,
        venue="千代田区役所 4階",
        public=True,
        status=EventStatus.OPEN,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        registration_deadline=start - datetime.timedelta(days=1),
        minutes=INTERNAL,
    )
    category = FaqCategory.objects.create(name="連携について")
    faq = FaqEntry.objects.create(
        category=category,
        question="団体の登録に必要なものは？",
        answer="団体名と担当者の連絡先です。",
    )
    report = ReportFile.objects.create(
        fiscal_year=2025,
        format="csv",
        status=ReportFile.Status.DONE,
        published_at=timezone.now(),
        figures=[
            {
                "fiscal_year": 2025,
                "code": "reports_published",
                "indicator": "評価報告書の公表数（年間）",
                "value": "0",
                "target": "4",
                "baseline": None,
                "unit": "件",
            }
        ],
    )
    report.file.save("report.csv", ContentFile(b"fiscal_year,indicator\n"))
    issue = Issue.objects.select_related("ward").get(pk=issue.pk)
    # What the pages are asked with: the URL arguments of the pages that show one record.
    return {
        "issues:public_detail": [issue.public_ward_key, issue.pk],
        "evaluation:public_project": [project.pk],
        "matching:event_public_detail": [event.pk],
        "portal:faq_entry": [faq.pk],
    }
