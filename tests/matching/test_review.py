"""Review screens: decisions, conflicts, permissions, proposals and projects end to end."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import IssueStatus
from matching.models import Candidate, Decision, MatchRun, Proposal
from matching.projects.models import Project
from matching.runs.services import matching_refresh_issue
from portal.models import Notification
from tests.matching.factories import matching_world
from tests.partners.factories import ResourceFactory, partner_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    issues, resources = matching_world()
    for issue in issues:
        run = matching_refresh_issue(issue_id=issue.pk)
        assert run.status == MatchRun.Status.SUCCEEDED, run.error
    return issues, resources


def top(issue) -> Candidate:
    return Candidate.objects.filter(issue=issue, current=True).order_by("rank").first()


def decide(client, candidate, verdict, **extra):
    data = {"verdict": verdict, "version": candidate.version, **extra}
    return client.post(reverse("matching:candidate_decide", args=[candidate.pk]), data)


def test_review_screen_shows_ranked_candidates_with_explanations(client, coordinator, world):
    issues, resources = world
    client.force_login(coordinator)
    response = client.get(reverse("matching:issue_review", args=[issues[0].pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert resources[0].title in text
    assert "共通する語" in text
    assert "高齢者" in text  # a shared term
    assert "分野「高齢者支援」が一致しています。" in text
    assert "本文の類似度" in text  # contribution table


def test_approval_flow_end_to_end(client, coordinator, approver, world):
    issues, resources = world
    issue, resource = issues[0], resources[0]
    partner = partner_user(resource.organization, "partner_world0")
    candidate = top(issue)

    client.force_login(coordinator)
    assert decide(client, candidate, "requested").status_code == 302
    candidate.refresh_from_db()
    assert candidate.verdict == "requested"
    # a coordinator cannot approve
    assert decide(client, candidate, "approved").status_code == 403

    client.force_login(approver)
    response = client.get(reverse("matching:approvals"))
    assert issue.title in response.content.decode()
    assert decide(client, candidate, "approved").status_code == 302
    decision = Decision.objects.get(verdict="approved")
    assert decision.decided_by == approver
    assert decision.shown_rank == candidate.rank
    assert decision.features["text"] > 0
    proposal = Proposal.objects.get()
    assert proposal.organization == resource.organization
    assert (proposal.deadline - timezone.localtime(proposal.created_at).date()).days == 14
    assert Notification.objects.filter(recipient=partner).exists()

    client.force_login(partner)
    listing = client.get(reverse("matching:partner_proposals"))
    assert issue.title in listing.content.decode()
    url = reverse("matching:partner_proposal", args=[proposal.pk])
    response = client.post(url, {"answer": "accept", "reason": ""})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    project = Project.objects.get(proposal=proposal)
    assert list(project.issues.all()) == [issue]
    assert list(project.organizations.all()) == [resource.organization]
    assert project.resource == resource
    issue.refresh_from_db()
    assert issue.status == IssueStatus.COLLABORATING


def test_other_partner_gets_404(client, world, partner_b, approver):
    issues, _resources = world
    candidate = top(issues[0])
    client.force_login(approver)
    decide(client, candidate, "approved")
    proposal = Proposal.objects.get()
    client.force_login(partner_b)
    url = reverse("matching:partner_proposal", args=[proposal.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "accept"}).status_code == 404
    assert Proposal.objects.get().status == Proposal.Status.SENT


def test_decline_needs_a_reason(client, world, approver):
    issues, resources = world
    partner = partner_user(resources[0].organization, "partner_world0")
    client.force_login(approver)
    decide(client, top(issues[0]), "approved")
    proposal = Proposal.objects.get()
    client.force_login(partner)
    url = reverse("matching:partner_proposal", args=[proposal.pk])
    response = client.post(url, {"answer": "decline", "reason": ""})
    assert "辞退の理由を入力してください。" in response.content.decode()
    assert Proposal.objects.get().status == Proposal.Status.SENT
    client.post(url, {"answer": "decline", "reason": "今年度は人員が足りません"})
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECLINED
    assert not Project.objects.exists()


def test_second_decision_on_a_stale_version_is_refused(client, coordinator, admin_user, world):
    issues, _ = world
    candidate = top(issues[0])
    stale_version = candidate.version
    client.force_login(coordinator)
    decide(client, candidate, "held")
    client.force_login(admin_user)
    response = client.post(
        reverse("matching:candidate_decide", args=[candidate.pk]),
        {"verdict": "rejected", "reason": "ward", "version": stale_version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "他の職員が先に更新しました" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.verdict == "held"
    assert Decision.objects.count() == 1


def test_reject_needs_a_reason_from_the_list(client, coordinator, world):
    issues, _ = world
    candidate = top(issues[0])
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:candidate_decide", args=[candidate.pk]),
        {"verdict": "rejected", "version": candidate.version},
        HTTP_HX_REQUEST="true",
    )
    assert "却下の理由を選んでください。" in response.content.decode()
    decide(client, candidate, "rejected", reason="bogus")
    assert not Decision.objects.exists()
    decide(client, candidate, "rejected", reason="period", comment="来年度なら可能")
    decision = Decision.objects.get()
    assert (decision.reason, decision.comment) == ("period", "来年度なら可能")


def test_coordinator_of_another_ward_cannot_see_or_decide(client, coordinator_other_ward, world):
    issues, _ = world
    candidate = top(issues[0])
    client.force_login(coordinator_other_ward)
    assert client.get(reverse("matching:issue_review", args=[issues[0].pk])).status_code == 404
    assert decide(client, candidate, "held").status_code == 404
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("role_fixture", "status"),
    [("evaluator", 200), ("partner_a", 403), ("approver", 200), ("coordinator", 200)],
)
def test_review_screen_is_staff_only(client, request, world, role_fixture, status):
    issues, _ = world
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse("matching:issue_review", args=[issues[0].pk])).status_code == status


def test_evaluator_cannot_decide(client, evaluator, world):
    issues, _ = world
    client.force_login(evaluator)
    assert decide(client, top(issues[0]), "held").status_code == 403


def test_shortlist_toggles_for_events(client, coordinator, world):
    issues, _ = world
    candidate = top(issues[0])
    client.force_login(coordinator)
    url = reverse("matching:candidate_shortlist", args=[candidate.pk])
    client.post(url, {"shortlisted": "on", "version": candidate.version})
    candidate.refresh_from_db()
    assert candidate.shortlisted
    # a shortlisted pair survives a re-run with its state
    matching_refresh_issue(issue_id=issues[0].pk)
    assert Candidate.objects.get(pk=candidate.pk).shortlisted


def test_review_screen_query_count_does_not_grow(
    client, coordinator, django_assert_max_num_queries
):
    issues, resources = matching_world(1)
    org = resources[0].organization
    for i in range(12):
        ResourceFactory(organization=org, title=f"高齢者の見守り訪問 {i}", capacity=1)
    matching_refresh_issue(issue_id=issues[0].pk)
    assert Candidate.objects.filter(issue=issues[0]).count() == 10
    client.force_login(coordinator)
    url = reverse("matching:issue_review", args=[issues[0].pk])
    # 15 for the candidates, +1 for the organisations' own proposals shown beside them.
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    Candidate.objects.filter(issue=issues[0], rank__gt=3).delete()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    print("review queries:", len(few.captured_queries))


def test_dashboard_cards(client, coordinator, approver, partner_a, world):
    client.force_login(coordinator)
    text = client.get(reverse("portal:dashboard")).content.decode()
    assert "確認待ちのマッチング候補" in text
    client.force_login(approver)
    assert "承認待ちのマッチング" in client.get(reverse("portal:dashboard")).content.decode()
    client.force_login(partner_a)
    assert "回答待ちの提案" in client.get(reverse("portal:dashboard")).content.decode()


def test_matching_home_lists_issues_and_filters_with_htmx(client, coordinator, world):
    issues, _ = world
    client.force_login(coordinator)
    page = client.get(reverse("matching:home")).content.decode()
    assert issues[0].title in page and "全件のマッチングを実行" in page
    partial = client.get(
        reverse("matching:home"), {"q": issues[1].ref}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial
    assert issues[1].title in partial and issues[0].title not in partial


def test_refresh_from_the_review_screen(client, coordinator, world):
    issues, _ = world
    client.force_login(coordinator)
    url = reverse("matching:issue_refresh", args=[issues[0].pk])
    partial = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="candidates"' in partial and "<html" not in partial
    assert MatchRun.objects.filter(issue=issues[0]).count() == 2


def test_an_approval_request_notifies_exactly_the_approvers_who_may_approve(
    client, coordinator, world
):
    from portal.models import Notification
    from tests.portal.factories import UserFactory, ward

    issue = world[0][0]
    same_ward = UserFactory(role="approver", ward=issue.ward)
    every_ward = UserFactory(role="approver", ward=None)
    other_ward = UserFactory(role="approver", ward=ward("13113"))
    client.force_login(coordinator)

    assert decide(client, top(issue), "requested").status_code == 302

    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {same_ward.pk, every_ward.pk}
    assert other_ward.pk not in told
