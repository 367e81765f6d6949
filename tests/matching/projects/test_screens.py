"""The project screens: who sees which project, who may change what, and what each side adds.

A coordinator runs their ward's projects (another ward's answers 404), evaluators run all,
partner members see their organisation's projects read-only and report from their side.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matching.projects import services
from matching.projects.models import (
    ProblemStatus,
    Project,
    ProjectDocument,
    ProjectProblem,
)
from matching.projects.selectors import caseload_by_coordinator
from partners.models import OrgStatus
from portal.fiscal import current_fiscal_year
from portal.models import AccessLog, Notification
from tests.issues.factories import IssueFactory
from tests.portal.factories import ward

pytestmark = pytest.mark.django_db
S = Project.Status


@pytest.fixture
def project(coordinator, org_a):
    return services.project_create(
        title="神田の見守りセンサー実証",
        issues=[IssueFactory(ward=ward("13101"))],
        organizations=[org_a],
        start_date=datetime.date(2025, 5, 1),
        ward=ward("13101"),
        coordinator=coordinator,
        public_cost=300_000,
    )


def url(name: str, *args) -> str:
    return reverse(f"matching:{name}", args=args)


def test_list_shows_a_coordinator_their_wards_projects_only(client, coordinator, project, org_a):
    other = services.project_create(
        title="世田谷の子育てひろば",
        issues=[IssueFactory(ward=ward("13112"))],
        organizations=[org_a],
        start_date=datetime.date(2025, 5, 1),
        ward=ward("13112"),
    )
    client.force_login(coordinator)
    page = client.get(url("project_list")).content.decode()
    assert project.title in page
    assert other.title not in page


def test_another_wards_project_answers_404_to_a_coordinator_on_every_path(
    client, coordinator_other_ward, project
):
    client.force_login(coordinator_other_ward)
    assert client.get(url("project_detail", project.pk)).status_code == 404
    assert client.get(url("project_costs", project.pk)).status_code == 404
    response = client.post(
        url("project_status", project.pk),
        {"status": S.PILOT, "changed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.status == S.PREPARING
    assert AccessLog.objects.filter(kind=AccessLog.Kind.DENIED, detail__startswith="404").exists()


def test_coordinator_moves_the_project_along_with_a_day_and_a_reason(client, coordinator, project):
    client.force_login(coordinator)
    response = client.post(
        url("project_status", project.pk),
        {"status": S.PILOT, "changed_on": "2025-06-01", "note": "20世帯で試行開始"},
    )
    assert response.status_code == 302
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert "実証" in page and "20世帯で試行開始" in page and "2025-06-01" in page
    # The form offers only what may follow 実証.
    assert 'value="adopted"' in page and 'value="preparing"' not in page


def test_a_step_the_lifecycle_does_not_allow_changes_nothing(client, coordinator, project):
    client.force_login(coordinator)
    response = client.post(
        url("project_status", project.pk),
        {"status": S.ADOPTED, "changed_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert "新しい状態: " in response.content.decode()  # the field's error, by its label
    project.refresh_from_db()
    assert project.status == S.PREPARING


def test_costs_page_sets_each_partys_share_and_the_project_page_shows_the_totals(
    client, coordinator, project, org_a
):
    client.force_login(coordinator)
    response = client.post(
        url("project_costs", project.pk),
        {
            "cash_ward": "1200000",
            "in_kind_ward": "0",
            "note_ward": "",
            f"cash_{org_a.pk}": "400000",
            f"in_kind_{org_a.pk}": "250000",
            f"note_{org_a.pk}": "センサー10台の貸与",
        },
    )
    assert response.status_code == 302
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert "1,200,000" in page and "400,000" in page and "250,000" in page
    assert "センサー10台の貸与" in page


def test_negative_costs_are_refused_with_the_field_named(client, coordinator, project, org_a):
    client.force_login(coordinator)
    response = client.post(
        url("project_costs", project.pk),
        {
            "cash_ward": "-5",
            "in_kind_ward": "0",
            f"cash_{org_a.pk}": "0",
            f"in_kind_{org_a.pk}": "0",
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    project.refresh_from_db()
    assert project.public_cost == 300_000


def test_a_partner_sees_their_project_read_only_and_reports_progress(
    client, partner_a, partner_b, project, coordinator
):
    client.force_login(partner_a)
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert project.title in page
    assert url("project_status", project.pk) not in page
    assert url("project_costs", project.pk) not in page
    assert client.post(url("project_status", project.pk), {"status": S.PILOT}).status_code == 403
    response = client.post(
        url("project_progress", project.pk),
        {"reported_on": "2025-07-01", "body": "10世帯にセンサーを設置しました。", "next_steps": ""},
    )
    assert response.status_code == 302
    assert project.progress_reports.get().organization == partner_a.membership.organization
    assert Notification.objects.filter(recipient=coordinator, message__contains="進捗報告").exists()
    client.force_login(partner_b)
    assert client.get(url("project_detail", project.pk)).status_code == 404
    assert client.post(url("project_progress", project.pk), {"body": "x"}).status_code == 404


def test_staff_cannot_report_progress_for_the_partner(client, coordinator, project):
    client.force_login(coordinator)
    response = client.post(
        url("project_progress", project.pk), {"reported_on": "2025-07-01", "body": "代筆"}
    )
    assert response.status_code == 403
    assert not project.progress_reports.exists()


def _pdf(name="plan.pdf", body=b"%PDF-1.7\n%test\n"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="application/pdf")


def test_documents_are_checked_by_content_and_served_with_the_permission(
    client, partner_a, coordinator, coordinator_other_ward, project
):
    client.force_login(partner_a)
    response = client.post(
        url("project_document_add", project.pk),
        {"title": "実施計画書", "file": _pdf("plan.pdf", b"MZ\x90\x00 not a pdf")},
        follow=True,
    )
    assert "中身が拡張子と一致しません" in response.content.decode()
    assert not ProjectDocument.objects.exists()
    client.post(url("project_document_add", project.pk), {"title": "実施計画書", "file": _pdf()})
    document = ProjectDocument.objects.get()
    assert document.organization == partner_a.membership.organization
    assert "plan" not in document.file.name  # stored under a random name
    client.force_login(coordinator)
    response = client.get(url("project_document", project.pk, document.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert 'filename="plan.pdf"' in response["Content-Disposition"]
    client.force_login(coordinator_other_ward)
    assert client.get(url("project_document", project.pk, document.pk)).status_code == 404


def test_a_partner_raises_a_problem_the_coordinator_is_mailed_resolves_it_and_it_counts(
    client, partner_a, coordinator, project, django_capture_on_commit_callbacks
):
    client.force_login(partner_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("project_problem_add", project.pk),
            {"kind": "trouble", "title": "設置先の同意が取れない", "description": "3世帯が辞退"},
        )
    problem = ProjectProblem.objects.get()
    assert problem.assigned_to == coordinator and problem.status == ProblemStatus.OPEN
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "設置先の同意が取れない" in mail.outbox[0].subject
    figures = caseload_by_coordinator([coordinator.pk], current_fiscal_year())[coordinator.pk]
    assert figures["problems"] == 1

    client.force_login(coordinator)
    prefix = f"problem-{problem.pk}"
    response = client.post(
        url("project_problem_update", project.pk, problem.pk), {f"{prefix}-status": "resolved"}
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN  # a resolution needs a record of what was done
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("project_problem_update", project.pk, problem.pk),
            {f"{prefix}-status": "resolved", f"{prefix}-resolution": "代替の3世帯を町会と調整"},
        )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED and problem.resolved_by == coordinator
    assert partner_a.email in mail.outbox[-1].to
    figures = caseload_by_coordinator([coordinator.pk], current_fiscal_year())[coordinator.pk]
    assert figures["problems"] == 0
    assert figures["supported_year"] >= 1  # handled this year: still part of the caseload


def test_a_partner_cannot_resolve_a_problem(client, partner_a, project):
    problem = ProjectProblem.objects.create(
        project=project, title="遅延", description="納品が遅れる", raised_by=partner_a
    )
    client.force_login(partner_a)
    prefix = f"problem-{problem.pk}"
    response = client.post(
        url("project_problem_update", project.pk, problem.pk),
        {f"{prefix}-status": "resolved", f"{prefix}-resolution": "自分で解決"},
    )
    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_a_coordinator_enters_a_project_of_their_ward_only(client, coordinator, org_a):
    mine, theirs = IssueFactory(ward=ward("13101")), IssueFactory(ward=ward("13112"))
    client.force_login(coordinator)
    form = {
        "title": "商店街の省エネ診断",
        "ward": ward("13101").pk,
        "organizations": [org_a.pk],
        "start_date": "2026-04-01",
        "coordinator": coordinator.pk,
    }
    response = client.post(url("project_create"), {**form, "issues": [theirs.pk]})
    assert response.status_code == 200
    assert not Project.objects.exists()
    response = client.post(url("project_create"), {**form, "issues": [mine.pk]})
    project = Project.objects.get()
    assert response.status_code == 302 and project.ward == ward("13101")
    response = client.post(
        url("project_create"), {**form, "ward": ward("13112").pk, "issues": [mine.pk]}
    )
    assert response.status_code == 200
    assert Project.objects.count() == 1


def test_the_project_page_costs_the_same_queries_however_much_it_holds(
    client, coordinator, project, org_b, partner_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("project_detail", project.pk)).status_code == 200
        return len(captured)

    queries()  # warm the caches (session, menus)
    before = queries()
    project.organizations.add(org_b)
    for n in range(5):
        ProjectProblem.objects.create(project=project, title=f"課題{n}", description="内容")
        project.progress_reports.create(
            organization=org_b, reported_on=datetime.date(2025, 7, n + 1), body="進捗"
        )
    services.project_status_change(project=project, status=S.PILOT, changed_by=coordinator)
    assert queries() == before


@pytest.mark.parametrize(
    "name, data",
    [
        ("project_progress", {"reported_on": "2025-07-01", "body": "10世帯に設置しました。"}),
        ("project_document_add", {"title": "実施計画書"}),
        ("project_problem_add", {"kind": "trouble", "title": "同意", "description": "辞退"}),
    ],
)
def test_a_suspended_organisations_member_reads_the_project_but_adds_nothing(
    client, partner_a, org_a, project, name, data
):
    org_a.status = OrgStatus.SUSPENDED
    org_a.save()
    client.force_login(partner_a)
    page = client.get(url("project_detail", project.pk)).content.decode()
    assert project.title in page  # still read
    for action in ("project_progress", "project_document_add", "project_problem_add"):
        assert url(action, project.pk) not in page  # no form to fill in
    assert "団体の利用が停止されているため" in page
    assert "承認されるまで" not in page
    assert reverse("portal:contact") in page
    if name == "project_document_add":
        data = {**data, "file": _pdf()}
    response = client.post(url(name, project.pk), data)
    assert response.status_code == 403
    assert "団体の利用が停止されているため" in response.content.decode()
    assert not project.progress_reports.exists()
    assert not ProjectDocument.objects.exists()
    assert not ProjectProblem.objects.exists()
    assert AccessLog.objects.filter(kind=AccessLog.Kind.DENIED, user=partner_a).exists()
