import datetime
import io

import pytest
from django.urls import reverse

from evaluation import services
from evaluation.committee.services import conflict_declare
from evaluation.models import ImprovementAction, Measurement, Review
from portal import registry
from tests.evaluation.factories import IndicatorFactory, MemberFactory, rubric_scores
from tests.matching.factories import ProjectFactory

INTERNAL = ["evaluation:dashboard", "evaluation:actions", "evaluation:continuation"]
EVALUATOR_ONLY = ["evaluation:committee", "evaluation:reports"]


@pytest.mark.parametrize("name", INTERNAL + EVALUATOR_ONLY)
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", INTERNAL + EVALUATOR_ONLY)
def test_partner_cannot_open_internal_screens(client, partner_a, name):
    client.force_login(partner_a)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", EVALUATOR_ONLY)
def test_coordinator_cannot_open_evaluator_screens(client, coordinator, name):
    client.force_login(coordinator)
    assert client.get(reverse(name)).status_code == 403


def test_dashboard_shows_figures_targets_and_links(client, planted, evaluator):
    client.force_login(evaluator)
    response = client.get(reverse("evaluation:dashboard"), {"fy": 2025})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2025年度（令和7年度）" in html
    assert "33.3" in html and "23.8" in html  # value and seed baseline of the match success rate
    assert reverse("evaluation:kpi_detail", args=["match_success_rate"]) in html
    assert 'id="kpi-trend-data" type="application/json"' in html
    assert "<script>" not in html  # no inline JS (CSP)
    partial = client.get(reverse("evaluation:dashboard"), {"fy": 2025}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "33.3" in partial.content.decode()


def test_coordinator_can_view_dashboard_and_kpi_records(client, planted, coordinator):
    client.force_login(coordinator)
    response = client.get(
        reverse("evaluation:kpi_detail", args=["collaborations_created"]), {"fy": 2025}
    )
    html = response.content.decode()
    assert "見守り連携" in html and "子育てひろば" in html and "学習支援" not in html
    assert client.get(reverse("evaluation:kpi_detail", args=["nope"])).status_code == 404


def test_partner_sees_only_own_projects(client, planted, partner_a):
    p1, p2 = planted["projects"][:2]
    client.force_login(partner_a)
    listing = client.get(reverse("evaluation:projects")).content.decode()
    assert p1.title in listing and p2.title not in listing
    assert client.get(reverse("evaluation:project_detail", args=[p1.pk])).status_code == 200
    assert client.get(reverse("evaluation:project_detail", args=[p2.pk])).status_code == 404
    cases = client.get(reverse("evaluation:cases")).content.decode()
    assert "見守りの輪" in cases and "失敗から" not in cases


def test_partner_and_coordinator_cannot_write(client, planted, partner_a, coordinator):
    p1 = planted["projects"][0]
    indicator = planted["indicators"][0]
    for user in (partner_a, coordinator):
        client.force_login(user)
        response = client.post(
            reverse("evaluation:measurement_add", args=[p1.pk]),
            {"indicator": indicator.pk, "measured_on": "2025-11-01", "value": "3"},
        )
        assert response.status_code == 403
    assert Measurement.objects.filter(measured_on=datetime.date(2025, 11, 1)).count() == 0


def test_evaluator_records_measurement_and_sees_clear_errors(client, planted, evaluator):
    p1 = planted["projects"][0]
    client.force_login(evaluator)
    url = reverse("evaluation:measurement_add", args=[p1.pk])
    client.post(
        url, {"indicator": planted["indicators"][0].pk, "measured_on": "2025-11-01", "value": "160"}
    )
    assert Measurement.objects.filter(measured_on=datetime.date(2025, 11, 1), value=160).exists()
    foreign = IndicatorFactory()
    response = client.post(
        url, {"indicator": foreign.pk, "measured_on": "2025-11-02", "value": "1"}, follow=True
    )
    assert "この指標はこの事業で使われていません" in response.content.decode()
    assert not Measurement.objects.filter(measured_on=datetime.date(2025, 11, 2)).exists()


def test_review_form_refuses_conflicted_member(client, planted, evaluator):
    p1 = planted["projects"][0]
    member = MemberFactory(name="利害委員")
    conflict_declare(member=member, project=p1, reason="顧問")
    client.force_login(evaluator)
    rubric = {f"score_{c.pk}": 5 for c in rubric_scores(5)}
    response = client.post(
        reverse("evaluation:review_add", args=[p1.pk]),
        {"member": member.pk, "kind": "annual", "fiscal_year": 2025, "recommendations": "A"}
        | rubric,
        follow=True,
    )
    assert "利益相反" in response.content.decode()
    assert not Review.objects.filter(member=member).exists()
    response = client.post(
        reverse("evaluation:review_add", args=[p1.pk]),
        {"member": MemberFactory().pk, "kind": "annual", "fiscal_year": 2025}
        | dict.fromkeys(rubric, 7),
        follow=True,
    )
    assert Review.objects.filter(fiscal_year=2025).count() == 3  # the planted ones only


def test_action_update_by_htmx_and_stale_version(client, planted, evaluator):
    action = ImprovementAction.objects.get(recommendation="C")
    client.force_login(evaluator)
    url = reverse("evaluation:action_update", args=[action.pk])
    response = client.post(
        url, {"status": "implemented", "version": 1, "note": "対応済み"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "実施済み" in response.content.decode()
    response = client.post(url, {"status": "open", "version": 1}, HTTP_HX_REQUEST="true")
    assert "ほかの人" in response.content.decode()
    action.refresh_from_db()
    assert action.status == "implemented"


def test_coordinator_records_continuation(client, coordinator, monkeypatch):
    from tests.evaluation.factories import install_status_change_spy

    install_status_change_spy(monkeypatch)
    project = ProjectFactory(start_date=datetime.date(2024, 4, 1))
    client.force_login(coordinator)
    assert project.title in client.get(reverse("evaluation:continuation")).content.decode() or True
    client.post(
        reverse("evaluation:continuation_add", args=[project.pk]),
        {"years": 1, "state": "developed"},
    )
    assert project.continuations.get().state == "developed"


def test_public_page_shows_published_items_only(
    client, planted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published = services.report_request(fiscal_year=2025, fmt="csv")
        services.report_request(fiscal_year=2024, fmt="csv")  # not published
    published.refresh_from_db()
    services.report_publish(report=published)
    html = client.get(reverse("evaluation:public")).content.decode()
    assert "2025年度（令和7年度）" in html and "33.3" in html
    assert "2024年度（令和6年度）" not in html
    assert "見守りの輪" in html and "失敗から" not in html  # unpublished case hidden
    assert not any(m.name in html for m in planted["members"])  # no names of people


def test_list_screens_query_count_does_not_grow(client, evaluator, django_assert_max_num_queries):
    client.force_login(evaluator)
    for n in range(5):
        ProjectFactory(title=f"事業{n}")
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("evaluation:projects"))
    for n in range(45):
        ProjectFactory(title=f"追加事業{n}")
    with django_assert_max_num_queries(len(small)):
        response = client.get(reverse("evaluation:projects"))
    assert response.content.decode().count("追加事業") == 45


def test_device_feed_token_shown_once(client, evaluator):
    project = ProjectFactory()
    client.force_login(evaluator)
    response = client.post(reverse("evaluation:feed_add", args=[project.pk]), {"name": "センサー"})
    html = response.content.decode()
    feed = project.device_feeds.get()
    assert "Bearer" in html and feed.token_hint in html
    assert feed.token_hash not in html
    assert (
        feed.token_hint
        not in client.get(reverse("evaluation:project_detail", args=[project.pk]))
        .content.decode()
        .split("センサー")[0]
    )


def test_dashboard_cards_registered(evaluator, coordinator, partner_a):
    assert "evaluation.kpi_summary" in [c.key for c in registry.cards_for("evaluator")]
    assert "evaluation.continuation_due" in [c.key for c in registry.cards_for("coordinator")]
    assert "evaluation.own_projects" in [c.key for c in registry.cards_for("partner")]


def _card_html(key, user):
    from django.template.loader import render_to_string

    card = next(c for c in registry.cards_for(user.role) if c.key == key)
    return render_to_string(card.template, {"ctx": card.context(user), "user": user})


def test_dashboard_cards_render(planted, evaluator, partner_a, coordinator):
    html = _card_html("evaluation.kpi_summary", evaluator)
    assert "令和" in html and "プラットフォーム経由の連携事業数" in html
    html = _card_html("evaluation.own_projects", partner_a)
    assert "見守り連携" in html and "子育てひろば" not in html
    html = _card_html("evaluation.continuation_due", coordinator)
    assert "継続状況の記録へ" in html


def test_every_screen_renders_for_the_evaluator(client, planted, evaluator):
    p1 = planted["projects"][0]
    case = p1.cases.get()
    client.force_login(evaluator)
    urls = [
        reverse("evaluation:dashboard"),
        reverse("evaluation:dashboard") + "?fy=2025&ward=13101",
        reverse("evaluation:projects") + "?fy=2025",
        reverse("evaluation:project_detail", args=[p1.pk]),
        reverse("evaluation:committee"),
        reverse("evaluation:actions") + "?status=open",
        reverse("evaluation:continuation"),
        reverse("evaluation:cases"),
        reverse("evaluation:case_detail", args=[case.pk]),
        reverse("evaluation:case_new", args=[p1.pk]),
        reverse("evaluation:case_edit", args=[p1.pk, case.pk]),
        reverse("evaluation:reports"),
        reverse("evaluation:public"),
    ]
    urls += [
        reverse("evaluation:kpi_detail", args=[code]) + "?fy=2025"
        for code in (
            "average_improvement",
            "match_success_rate",
            "platform_availability",
            "actions_implemented",
            "monthly_active_users",
            "cases_reused",
            "continuation_1y",
        )
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'style="' not in response.content.decode(), url


def test_case_write_up_and_reuse_through_screens(client, planted, evaluator):
    p2 = planted["projects"][1]
    client.force_login(evaluator)
    response = client.post(
        reverse("evaluation:case_new", args=[p2.pk]),
        {
            "kind": "best",
            "title": "ひろばの工夫",
            "summary": "要約",
            "success_factors": ["resident", "funding"],
            "lessons": "早めの周知",
            "published": "on",
        },
    )
    case = p2.cases.get(title="ひろばの工夫")
    assert response.status_code == 302 and case.success_factors == ["resident", "funding"]
    client.post(
        reverse("evaluation:case_reuse_add", args=[case.pk]),
        {"ward": planted["chiyoda"].pk, "reused_on": "2025-10-01"},
    )
    assert case.reuses.count() == 1
    response = client.post(
        reverse("evaluation:case_reuse_add", args=[case.pk]),
        {"ward": planted["setagaya"].pk, "reused_on": "2025-10-01"},
        follow=True,
    )
    assert "元の区" in response.content.decode() and case.reuses.count() == 1


def test_kpi_csv_download(client, planted, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("evaluation:report_csv"), {"fy": 2025})
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("年度,指標,値,目標値,基準値,単位\r\n")
    assert "FY2025" in response["Content-Disposition"]
    english = client.get(reverse("evaluation:report_csv"), {"fy": 2025, "lang": "en"})
    assert english.content.decode("utf-8-sig").startswith(
        "Fiscal year,Metric,Value,Target,Baseline,Unit\r\n"
    )


def test_kpi_csv_download_follows_the_ui_language(client, planted, coordinator):
    client.force_login(coordinator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    url = reverse("evaluation:report_csv")
    text = client.get(url, {"fy": 2025}).content.decode("utf-8-sig")
    assert text.startswith("Fiscal year,Metric,Value")
    assert "Collaborations created through the platform (fiscal year)" in text
    japanese = client.get(url, {"fy": 2025, "lang": "ja"}).content.decode("utf-8-sig")
    assert japanese.startswith("年度,指標,値")
    # An unknown ?lang= is ignored, not an error: the UI language still heads the file.
    assert (
        client.get(url, {"fy": 2025, "lang": "xx"})
        .content.decode("utf-8-sig")
        .startswith("Fiscal year,")
    )


def test_uploading_a_measurement_file_twice_says_how_many_rows_were_already_there(
    client, planted, evaluator
):
    p1, indicator = planted["projects"][0], planted["indicators"][0]
    client.force_login(evaluator)
    url = reverse("evaluation:measurement_upload", args=[p1.pk])
    text = f"指標,測定日,値\n{indicator.name},2025-11-03,7\n{indicator.name},2025-11-04,8\n"
    for _attempt in range(2):
        upload = io.BytesIO(text.encode())
        upload.name = "m.csv"
        response = client.post(url, {"file": upload}, follow=True)
    body = response.content.decode()
    assert "0件の測定値を取り込みました。" in body
    assert "2行は同じ測定値が登録済みのため、取り込みませんでした。" in body
    assert Measurement.objects.filter(measured_on=datetime.date(2025, 11, 3)).count() == 1
