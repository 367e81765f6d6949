"""Partners propose (逆プロポ), open calls (募集) and the staff decision on a partner's proposal."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from issues.models import IssueStatus
from matching.calls.models import OpenCall
from matching.engine.services import ranker_training_data
from matching.models import Candidate, Decision, MatchRun, Proposal
from matching.projects.models import Project
from matching.runs.services import matching_refresh_issue
from partners.models import OrgStatus, ResourceStatus
from portal.fiscal import date_label
from portal.mail import absolute_url
from portal.models import AccessLog, Notification
from tests.issues.factories import IssueFactory, field
from tests.matching.factories import matching_world
from tests.partners.factories import OrganizationFactory, ResourceFactory, partner_user
from tests.portal.factories import UserFactory, ward

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{40})"')
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


@pytest.fixture
def world(coordinator):
    """Three open issues of 千代田区 (coordinated by `coordinator`) with ranked candidates."""
    issues, resources = matching_world(3)
    for issue in issues:
        issue.coordinator = coordinator
        issue.save(update_fields=["coordinator"])
        assert matching_refresh_issue(issue_id=issue.pk).status == MatchRun.Status.SUCCEEDED
    return issues, resources


@pytest.fixture
def member(world):
    """A member of the organisation offering resources[0] (the sensor service)."""
    return partner_user(world[1][0].organization, "partner_sensor")


def _propose(client, issue, offered, **extra):
    url = reverse("matching:partner_issue", args=[issue.pk])
    token = TOKEN.search(client.get(url).content.decode())
    data = {
        "kind": "proposal",
        "message": "センサーと訪問を組み合わせた見守りを、神田地区の20世帯で試行します。",
        "resources": [r.pk for r in offered],
        "period_start": "2027-01-10",
        "period_end": "2027-06-30",
        "public_cost": "1,200,000",
        "partner_cost": "３００，０００",
        "in_kind_value": "150000円",
        "form_token": token.group(1) if token else "",
        **extra,
    }
    return client.post(url, data)


def _decide(client, proposal, verdict, *, htmx=False, **extra):
    url = reverse("matching:partner_proposal_decide", args=[proposal.pk])
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, {"verdict": verdict, **extra}, headers=headers)


# ------------------------------------------------------------------------ what partners see


def test_partner_sees_the_issues_that_fit_its_resources_first_then_every_open_issue(
    client, world, member
):
    issues, _resources = world
    draft = IssueFactory(title="下書きの課題（公開しない）", status=IssueStatus.DRAFT)
    client.force_login(member)
    page = client.get(reverse("matching:partner_issues")).content.decode()
    fitting, everything = page.split("すべての募集中の課題", 1)
    assert issues[0].title in fitting and "センサーによる高齢者見守りサービス" in fitting
    assert issues[2].title not in fitting  # 防災訓練 does not fit a sensor service
    assert all(issue.title in everything for issue in issues)
    assert draft.title not in page
    assert "内部メモ" not in page and "スコア" not in page


def test_partner_filters_open_issues_by_field_ward_and_sdg_with_paging(client, world, member):
    issues, _ = world
    IssueFactory.create_batch(21, title="商店街の空き店舗活用", ward=ward("13112"), sdgs=[11])
    client.force_login(member)
    url = reverse("matching:partner_issues")

    def results(**params) -> str:
        text = client.get(url, params, headers={"HX-Request": "true"}).content.decode()
        assert "<html" not in text
        return text

    by_field = results(field=field("子育て支援").pk)
    assert issues[1].title in by_field and issues[0].title not in by_field
    by_ward = results(ward="13112")
    assert "21件" in by_ward and issues[0].title not in by_ward
    assert by_ward.count("商店街の空き店舗活用") == 20
    assert "ward=13112&amp;page=2" in by_ward
    assert results(ward="13112", page=2).count("商店街の空き店舗活用") == 1
    assert "21件" in results(sdg=11)
    assert "条件に合う課題はありません。" in results(sdg=1)


def test_an_issue_that_is_not_open_answers_404_to_partners(client, world, member):
    draft = IssueFactory(status=IssueStatus.REVIEWING)
    client.force_login(member)
    assert client.get(reverse("matching:partner_issue", args=[draft.pk])).status_code == 404


# ------------------------------------------------------------------------ proposing


def test_a_member_proposes_and_the_ward_is_told(
    client, world, member, coordinator, django_capture_on_commit_callbacks
):
    issues, resources = world
    own = ResourceFactory(organization=resources[0].organization, title="訪問看護師の派遣")
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = _propose(client, issues[0], [resources[0], own])
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matching:partner_proposal", args=[proposal.pk])
    assert proposal.origin == "partner" and proposal.status == "submitted"
    assert proposal.organization == resources[0].organization
    assert proposal.resource == resources[0]
    assert set(proposal.resources.all()) == {resources[0], own}
    assert (proposal.public_cost, proposal.partner_cost, proposal.in_kind_value) == (
        1_200_000,
        300_000,
        150_000,
    )
    assert proposal.period_start == datetime.date(2027, 1, 10)
    assert Notification.objects.filter(recipient=coordinator).exists()
    sent = [m for m in mail.outbox if coordinator.email in m.to]
    assert sent and absolute_url(f"/matching/issues/{issues[0].pk}/") in sent[0].body
    page = client.get(response["Location"]).content.decode()
    assert "1,200,000" in page and "訪問看護師の派遣" in page and "審査中" in page


def test_the_same_form_sent_twice_makes_one_proposal(client, world, member):
    issues, resources = world
    client.force_login(member)
    url = reverse("matching:partner_issue", args=[issues[0].pk])
    token = TOKEN.search(client.get(url).content.decode()).group(1)
    data = {"kind": "interest", "message": "関心があります。", "resources": [resources[0].pk]}
    first = client.post(url, {**data, "form_token": token})
    second = client.post(url, {**data, "form_token": token}, follow=True)
    assert first.status_code == 302 and Proposal.objects.count() == 1
    assert "既に登録されています" in second.content.decode()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"resources": []}, "関わるリソースを1件以上選んでください。"),
        ({"period_start": "2027-06-30", "period_end": "2027-01-10"}, "終了日は開始日以降"),
        ({"public_cost": "-5"}, "0 以上"),
        ({"message": ""}, "このフィールドは必須です。"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(
    client, world, member, change, message
):
    issues, resources = world
    client.force_login(member)
    response = _propose(client, issues[0], [resources[0]], **change)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Proposal.objects.count() == 0


def test_another_organisations_resource_cannot_be_offered(client, world, member):
    issues, resources = world
    client.force_login(member)
    response = _propose(client, issues[0], [resources[1]])  # of 連携団体1
    assert response.status_code == 400
    assert Proposal.objects.count() == 0
    paused = ResourceFactory(organization=resources[0].organization, status=ResourceStatus.PAUSED)
    assert _propose(client, issues[0], [paused]).status_code == 400
    assert Proposal.objects.count() == 0


def test_a_second_proposal_while_one_is_under_review_is_refused_and_logged(client, world, member):
    issues, resources = world
    client.force_login(member)
    assert _propose(client, issues[0], [resources[0]]).status_code == 302
    # Other words (the same ones again are the same proposal: portal.once shows the first).
    again = _propose(
        client, issues[0], [resources[0]], message="費用を見直して、もう一度提案します。"
    )
    assert again.status_code == 400
    assert "既に審査中の提案があります" in again.content.decode()
    assert Proposal.objects.count() == 1
    assert AccessLog.objects.filter(kind="denied", detail__contains="審査中").exists()


def test_a_member_of_an_organisation_under_review_cannot_propose(client, world):
    issues, _ = world
    pending = OrganizationFactory(status=OrgStatus.PENDING)
    resource = ResourceFactory(organization=pending)
    newcomer = partner_user(pending, "partner_pending")
    client.force_login(newcomer)
    page = client.get(reverse("matching:partner_issue", args=[issues[0].pk])).content.decode()
    assert "団体の登録が承認されると" in page and "提案を送る" not in page
    assert _propose(client, issues[0], [resource]).status_code == 403
    assert Proposal.objects.count() == 0


# ------------------------------------------------------------------------ open calls


def test_staff_publish_an_open_call_and_partners_see_deadline_and_criteria(
    client, world, member, coordinator
):
    issue = IssueFactory(
        title="空き家を地域の居場所にしたい", status=IssueStatus.REVIEWING, coordinator=coordinator
    )
    client.force_login(coordinator)
    deadline = timezone.localdate() + datetime.timedelta(days=30)
    response = client.post(
        reverse("matching:call_publish", args=[issue.pk]),
        {"deadline": deadline.isoformat(), "criteria": "実現性と継続性を重視します。"},
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.OPEN  # 精査中 → 募集中 through the workflow
    call = OpenCall.objects.get(issue=issue)
    assert call.deadline == deadline and call.published_by == coordinator
    client.force_login(member)
    listing = client.get(reverse("matching:partner_issues")).content.decode()
    assert f"公募 締切 {date_label(deadline)}" in listing
    page = client.get(reverse("matching:partner_issue", args=[issue.pk])).content.decode()
    assert "実現性と継続性を重視します。" in page and "提案を送る" in page


def test_an_open_call_cannot_be_published_with_a_past_deadline_or_by_another_ward(
    client, world, coordinator, coordinator_other_ward
):
    issue = world[0][0]
    url = reverse("matching:call_publish", args=[issue.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    client.force_login(coordinator)
    page = client.post(url, {"deadline": yesterday, "criteria": "x"}, follow=True)
    assert "締切日は今日以降の日付にしてください。" in page.content.decode()
    client.force_login(coordinator_other_ward)
    assert client.post(url, {"deadline": "2030-01-01", "criteria": "x"}).status_code == 404
    assert not OpenCall.objects.exists()


def test_proposals_after_the_deadline_are_refused_at_tokyo_midnight(client, world, member):
    issues, resources = world
    OpenCall.objects.create(
        issue=issues[0], deadline=datetime.date(2026, 12, 1), criteria="費用対効果"
    )
    with time_machine.travel(datetime.datetime(2026, 12, 2, 0, 30, tzinfo=TOKYO), tick=False):
        # 1 December in UTC, 2 December in Tokyo: the call has closed.
        client.force_login(member)
        page = client.get(reverse("matching:partner_issue", args=[issues[0].pk]))
        assert "2026-12-01 に締め切りました" in page.content.decode()
        refused = _propose(client, issues[0], [resources[0]])
        assert refused.status_code == 400
        assert "締切後の提案は受け付けていません" in refused.content.decode()
    assert Proposal.objects.count() == 0
    assert AccessLog.objects.filter(kind="denied", detail__contains="締め切りました").exists()
    with time_machine.travel(datetime.datetime(2026, 12, 1, 23, 59, tzinfo=TOKYO), tick=False):
        client.force_login(member)
        assert _propose(client, issues[0], [resources[0]]).status_code == 302
    assert Proposal.objects.get().open_call.deadline == datetime.date(2026, 12, 1)


# ------------------------------------------------------------------------ staff decide


@pytest.fixture
def submitted(client, world, member):
    issues, resources = world
    client.force_login(member)
    assert _propose(client, issues[0], [resources[0]]).status_code == 302
    client.logout()
    return Proposal.objects.get()


def test_partner_proposals_stand_beside_the_candidates_on_the_review_screen(
    client, submitted, coordinator
):
    client.force_login(coordinator)
    page = client.get(reverse("matching:issue_review", args=[submitted.issue_id])).content.decode()
    assert "団体からの提案 1 件" in page
    assert "センサーと訪問を組み合わせた見守り" in page
    assert "団体からも提案あり" in page  # the engine ranked the same pair
    assert f'id="offer-{submitted.pk}"' in page


def test_request_then_approve_makes_a_project_like_an_engine_match(
    client, submitted, coordinator, approver, member, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    assert _decide(client, submitted, "approved").status_code == 403  # coordinators request
    assert _decide(client, submitted, "requested", comment="承認をお願いします").status_code == 302
    submitted.refresh_from_db()
    assert submitted.verdict == "requested" and submitted.status == "submitted"
    # Not yet settled: the engine's candidate of the pair is not put up for approval as well.
    pair = Candidate.objects.get(issue=submitted.issue, resource=submitted.resource)
    assert pair.verdict == ""
    client.force_login(approver)
    assert submitted.issue.title in client.get(reverse("matching:approvals")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, submitted, "approved", comment="まず20世帯で試行")
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "accepted" and submitted.decision.verdict == "approved"
    project = Project.objects.get(proposal=submitted)
    assert project.organizations.get() == submitted.organization
    assert project.resource == submitted.resource and project.coordinator == coordinator
    assert (project.public_cost, project.partner_cost, project.in_kind_value) == (
        1_200_000,
        300_000,
        150_000,
    )
    assert project.start_date == datetime.date(2027, 1, 10)
    assert project.issues.get().status == IssueStatus.COLLABORATING
    assert Notification.objects.filter(recipient=member, message__contains="採択").exists()
    assert any(
        member.email in m.to and "/matching/partner/proposals/" in m.body for m in mail.outbox
    )
    # The engine's candidate of the same pair carries the verdict and is not offered again.
    candidate = Candidate.objects.get(issue=submitted.issue, resource=submitted.resource)
    assert candidate.verdict == "approved"


def test_the_decision_is_training_signal_for_the_learned_ranker(client, submitted, approver):
    other = ResourceFactory(organization=submitted.organization, title="出張スマホ講座")
    submitted.resources.add(other)
    before = Decision.objects.count()
    client.force_login(approver)
    assert _decide(client, submitted, "rejected", reason="cost").status_code == 302
    decisions = Decision.objects.filter(partner_proposal=submitted)
    assert decisions.count() == 2 == Decision.objects.count() - before
    for decision in decisions:
        assert set(decision.features) >= {"text", "field", "sdg", "kind", "same_ward"}
    sensor = decisions.get(resource=submitted.resource)
    assert sensor.features["text"] > 0 and sensor.features["field"] > 0  # same 分野
    _features, labels, groups = ranker_training_data()
    assert submitted.issue_id in set(groups.tolist())
    assert 0 in labels.tolist()  # the rejection is a negative example


def test_reject_with_reason_tells_the_partner_and_cannot_be_decided_twice(
    client, submitted, approver, member
):
    client.force_login(approver)
    assert _decide(client, submitted, "rejected").status_code == 302  # no reason: refused
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and not Decision.objects.exists()
    assert (
        _decide(
            client, submitted, "rejected", reason="period", comment="来年度に再提案を"
        ).status_code
        == 302
    )
    submitted.refresh_from_db()
    assert submitted.status == "rejected"
    assert (
        "時期が合わない" in submitted.response_reason
        and "来年度に再提案を" in submitted.response_reason
    )
    again = _decide(client, submitted, "approved", htmx=True)
    assert "既に判断済み" in again.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "rejected" and not Project.objects.exists()
    assert AccessLog.objects.filter(kind="denied", detail__contains="既に判断済み").exists()
    client.force_login(member)
    page = client.get(reverse("matching:partner_proposal", args=[submitted.pk])).content.decode()
    assert "見送り" in page and "時期が合わない" in page


def test_hold_keeps_the_proposal_waiting_and_htmx_swaps_the_card(client, submitted, coordinator):
    client.force_login(coordinator)
    response = _decide(client, submitted, "held", htmx=True)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert f'id="offer-{submitted.pk}"' in text and "保留" in text
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and submitted.verdict == "held"


def test_staff_of_another_ward_cannot_see_or_decide_and_evaluators_cannot_decide(
    client, submitted, coordinator_other_ward, evaluator
):
    client.force_login(coordinator_other_ward)
    assert _decide(client, submitted, "held").status_code == 404
    client.force_login(evaluator)
    assert _decide(client, submitted, "held").status_code == 403
    assert not Decision.objects.exists()


def test_a_partner_cannot_answer_its_own_proposal_as_if_the_ward_had_sent_it(
    client, submitted, member
):
    client.force_login(member)
    url = reverse("matching:partner_proposal", args=[submitted.pk])
    assert "回答する" not in client.get(url).content.decode()
    assert client.post(url, {"answer": "accept"}).status_code == 403
    assert not Project.objects.exists()


def test_the_coordinator_card_counts_partner_proposals_waiting(client, submitted, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "団体からの提案が 1 件、判断を待っています。" in page


def test_partner_issue_list_query_count_does_not_grow(
    client, world, member, django_assert_max_num_queries
):
    client.force_login(member)
    url = reverse("matching:partner_issues")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(15):
        issue = IssueFactory(title=f"高齢者の見守り {i}")
        OpenCall.objects.create(issue=issue, deadline=datetime.date(2027, 3, 31), criteria="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_an_approver_of_another_ward_is_not_asked(client, submitted, coordinator):
    elsewhere = UserFactory(role="approver", ward=ward("13113"))
    client.force_login(coordinator)
    _decide(client, submitted, "requested")
    assert not Notification.objects.filter(recipient=elsewhere).exists()


def test_publishing_a_call_tells_the_ranked_organisations_each_in_a_mail_of_their_own(
    client, world, member, coordinator, django_capture_on_commit_callbacks
):
    issues, _ = world
    ranked = {c.resource.organization for c in Candidate.objects.filter(issue=issues[0])}
    others = [
        partner_user(org, f"member_{org.pk}")
        for org in ranked
        if org != member.membership.organization
    ]
    assert others, "the test needs a second ranked organisation"
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("matching:call_publish", args=[issues[0].pk]),
            {"deadline": "2030-03-31", "criteria": "継続性を重視します。"},
        )
    told = [m for m in mail.outbox if "募集が始まりました" in m.subject]
    assert {m.to[0] for m in told} == {u.email for u in [member, *others]}
    assert all(len(m.to) == 1 for m in told)
    assert absolute_url(f"/matching/partner/issues/{issues[0].pk}/") in told[0].body


def test_the_ward_contact_of_a_partners_own_proposal_is_ward_staff_never_the_partner(
    client, world, member, coordinator
):
    """Third probe of #13: with no coordinator on the issue, the page named the proposing
    partner as their own 区の担当者."""
    from matching.proposals.selectors import ward_contact

    issues, resources = world
    issues[0].coordinator = None
    issues[0].save(update_fields=["coordinator"])
    client.force_login(member)
    assert _propose(client, issues[0], [resources[0]]).status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.created_by == member
    assert ward_contact(proposal) == coordinator  # the ward's coordinator
    page = client.get(reverse("matching:partner_proposal", args=[proposal.pk])).content.decode()
    section = page.split("区の担当者</h2>")[1].split("</dl>")[0]
    assert str(coordinator) in section and member.email not in section
    # A ward with no coordinator: no person is named, the page points to the ward's office.
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])
    assert ward_contact(proposal) is None


def test_a_suspended_organisations_member_is_told_its_use_is_suspended(client, world):
    issues, _ = world
    suspended = OrganizationFactory(status=OrgStatus.SUSPENDED)
    resource = ResourceFactory(organization=suspended)
    client.force_login(partner_user(suspended, "partner_suspended"))
    page = client.get(reverse("matching:partner_issue", args=[issues[0].pk])).content.decode()
    assert "団体の利用が停止されているため" in page and "承認されると" not in page
    assert reverse("portal:contact") in page
    listing = client.get(reverse("matching:partner_issues")).content.decode()
    assert "団体の利用が停止されているため" in listing and "承認されると" not in listing
    refused = _propose(client, issues[0], [resource])
    assert refused.status_code == 403
    assert "団体の利用が停止されているため" in refused.content.decode()
    assert Proposal.objects.count() == 0
