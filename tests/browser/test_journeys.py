"""The five journeys of issue 8, driven end to end in Chromium against the live server.

Each journey runs three times: in Japanese on a desktop, in the English UI on a desktop
(switched with the header's language buttons, so labels are looked up in the same catalogue
the server uses, or controls are found by role, id or name), and in Japanese on a narrow mobile
viewport (390x844, touch), where no page may scroll sideways. Every page reached is checked
with axe-core (serious/critical findings fail the journey at its end). Journey 2 is also
completed with the keyboard only.
"""

from __future__ import annotations

import datetime
import io
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from portal.models import User
from tests.browser.journey_helpers import (
    EN_DESKTOP,
    JA_DESKTOP,
    JA_MOBILE,
    PATIENCE_MS,
    SlowWorker,
    assert_accessible,
    expect_url,
    journey,
    track_navigations,
)
from tests.issues.factories import field
from tests.partners.factories import partner_user
from tests.portal.factories import DEFAULT_PASSWORD, ward

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ISSUE_TITLE = "一人暮らし高齢者の見守りと安否確認の担い手不足"
ISSUE_TEXT = (
    "神田地区で一人暮らしの高齢者が増え、町会だけでは見守りと安否確認が行き届きません。"
    "センサーや訪問による見守りの仕組みを一緒に作れる企業・大学を探しています。"
)


def _world():
    """Approved organisations with resources (and a few other open issues) to match against."""
    from tests.matching.factories import matching_world

    issues, resources = matching_world(3)
    return issues, resources


def _matched_issue():
    """An open issue with current candidates (the full run executed in-process)."""
    from matching.models import MatchRun
    from matching.runs import services as run_services

    issues, resources = _world()
    run_services.match_run_start(scope=MatchRun.Scope.ALL)
    return issues[0], resources[0]


# ------------------------------------------------------------------------------ journey 1


def journey_partner_registration(j, coordinator) -> None:
    t = j.t
    email = "sato@jonan-univ.example.ac.jp"
    visitor = j.actor()
    visitor.goto(j.url("/partners/register/"))
    j.check(visitor, "register")
    form = visitor.locator("#main form.form")
    form.get_by_label(t("団体名")).fill("城南工業大学 地域連携センター")
    form.locator("#id_org_type").select_option("university")
    form.get_by_label(t("担当者氏名")).fill("佐藤 一郎")
    form.get_by_label(t("担当者のメールアドレス")).fill(email)
    form.locator("#id_resource_kind").select_option(index=0)
    form.get_by_label(t("リソースのタイトル")).fill("学生ボランティアによる高齢者宅訪問")
    form.get_by_label(t("リソースの内容")).fill(
        "社会福祉学科の学生が高齢者宅を訪問し、見守りと話し相手をします。"
    )
    form.locator("#id_agree").check()
    form.get_by_role("button", name=t("登録を申し込む")).click()
    expect_url(visitor, re.compile(r".*/partners/register/done/$"))
    assert "城南工業大学 地域連携センター" in visitor.locator("#main").inner_text()
    j.check(visitor, "register done")

    # The e-mail (locmem outbox, shared with the live server's thread) carries the link.
    messages = [m for m in mail.outbox if email in m.to]
    assert messages, "the registration e-mail with the set-password link was not sent"
    link = re.search(r"https?://\S+/partners/password/\S+/", messages[-1].body).group(0)

    # Staff approve in the review screen.
    staff = j.actor()
    j.login(staff, coordinator.username)
    staff.goto(j.url("/partners/registry/pending/"))
    j.check(staff, "pending")
    staff.get_by_role("link", name="城南工業大学 地域連携センター").click()
    expect_url(staff, re.compile(r".*/partners/registry/\d+/$"))
    j.check(staff, "org detail")
    review = staff.locator("section", has=staff.locator("#review-heading"))
    review.get_by_label(t("承認する")).check()
    review.get_by_role("button", name=t("審査結果を記録する")).click()
    staff.wait_for_load_state()
    assert t("承認済み") in staff.locator("#main").inner_text()

    # The partner sets a password through the link, logs in and adds a resource.
    partner = j.actor()
    partner.goto(link)
    j.check(partner, "password set")
    partner.locator("#id_new_password1").fill("Jonan-Kouken-2026!")
    partner.locator("#id_new_password2").fill("Jonan-Kouken-2026!")
    partner.get_by_role("button", name=t("パスワードを設定する")).click()
    expect_url(partner, re.compile(r".*/login/$"))
    username = User.objects.get(email=email).username
    assert username in messages[-1].body, "the e-mail should tell the login ID"
    j.login(partner, username, "Jonan-Kouken-2026!")
    partner.goto(j.url("/partners/my/"))
    j.check(partner, "my org")
    assert t("承認済み") in partner.locator("#main").inner_text()
    partner.get_by_role("link", name=t("リソースを追加する")).click()
    expect_url(partner, re.compile(r".*/partners/my/resources/new/$"))
    j.check(partner, "resource form")
    form = partner.locator("#main form.form")
    form.locator("#id_kind").select_option(index=1)
    form.locator("#id_title").fill("高齢者向けスマートフォン講座の講師派遣")
    form.locator("#id_description").fill(
        "情報工学科の学生が講師となり、高齢者向けのスマートフォン講座を開きます。"
    )
    form.locator("input[name=fields]").first.check()
    form.get_by_role("button", name=t("保存する")).click()
    expect_url(partner, re.compile(r".*/partners/my/resources/\d+/$"))
    assert "高齢者向けスマートフォン講座の講師派遣" in partner.locator("h1").inner_text()
    j.check(partner, "resource detail")


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_1_partner_registers_is_approved_and_adds_a_resource(
    browser_instance, live_server, coordinator, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_partner_registration(j, coordinator)
        assert_accessible(j)


# ------------------------------------------------------------------------------ journey 2


def journey_issue_to_candidates(j, coordinator, monkeypatch) -> None:
    t = j.t
    _world()
    worker = SlowWorker(monkeypatch)
    page = j.actor()
    j.login(page, coordinator.username)
    j.check(page, "dashboard")

    # Register the issue.
    page.goto(j.url("/issues/new/"))
    j.check(page, "issue form")
    form = page.locator("#main form.issue-form")
    form.locator("#id_title").fill(ISSUE_TITLE)
    form.locator("#id_description").fill(ISSUE_TEXT)
    form.locator("#id_ward").select_option(str(ward("13101").pk))
    form.locator("#id_field").select_option(str(field("高齢者支援").pk))
    form.get_by_role("button", name=t("登録する")).click()
    expect_url(page, re.compile(r".*/issues/(\d+)/\?saved=1.*"))
    issue_id = int(re.search(r"/issues/(\d+)/", page.url).group(1))
    j.check(page, "issue page")

    # Triage: 下書き → 精査中 → 募集中 on the issue page.
    for status in ("reviewing", "open"):
        page.locator("#detail-status").select_option(status)
        page.get_by_role("button", name=t("状態を変更")).click()
        page.wait_for_load_state()
        assert page.locator("#detail-status").input_value() == status
    assert t("募集中") in page.locator("#main h1 + p").inner_text()
    j.check(page, "issue triaged")

    # Start matching; the run page polls while the "worker" goes chunk by chunk.
    page.goto(j.url("/matching/"))
    j.check(page, "matching home")
    page.get_by_role("button", name=t("全件のマッチングを実行")).click()
    expect_url(page, re.compile(r".*/matching/runs/\d+/$"))
    run_url = page.url
    navigations = track_navigations(page)
    page.evaluate("window.__journeyMarker = 'still the same document'")
    j.check(page, "run page (queued)")

    progress = page.locator("#run-progress progress")
    seen: list[int] = []
    results = page.locator("#run-progress table tbody tr")
    # Sample the bar each time the page changes it, until the results arrive (as a user
    # watches it); the bound is the journey's patience, not a fixed number of samples.
    deadline = time.monotonic() + PATIENCE_MS / 1000
    while not results.count() and time.monotonic() < deadline:
        if progress.count():
            seen.append(int(float(progress.get_attribute("value") or 0)))
        page.wait_for_function(
            """([last]) => {
                const bar = document.querySelector('#run-progress progress');
                return document.querySelector('#run-progress table tbody tr') !== null
                    || (bar !== null && Number(bar.value) !== last);
            }""",
            arg=[seen[-1] if seen else -1],
        )
    results.first.wait_for()
    assert page.url == run_url and navigations == [], "the page was reloaded or navigated away"
    assert page.evaluate("window.__journeyMarker") == "still the same document"
    assert seen and seen == sorted(seen), f"the progress bar went backwards: {seen}"
    assert any(0 < value < 100 for value in seen), f"no intermediate progress shown: {seen}"
    assert worker.pending and all(steps == [] for steps in worker.pending.values())
    assert page.locator("#run-progress progress").get_attribute("value") == "100"
    row = results.filter(has_text=ISSUE_TITLE)
    assert row.count() == 1, "the new issue has no ranked candidate in the run's results"
    j.check(page, "run page (done)")

    # The candidates of the issue, ranked, each with its explanation.
    row.get_by_role("link").click()
    expect_url(page, re.compile(rf".*/matching/issues/{issue_id}/$"))
    articles = page.locator("article.candidate")
    assert articles.count() >= 1
    first = articles.first
    ranks = [
        int(re.sub(r"\D", "", text)) for text in page.locator("article .rank").all_inner_texts()
    ]
    assert ranks == list(range(1, len(ranks) + 1)), (
        f"candidates are not shown in rank order: {ranks}"
    )
    assert first.get_by_role("heading", name=t("この候補の理由")).is_visible()
    assert "センサーによる高齢者見守りサービス" in first.inner_text()
    j.check(page, "candidate review")

    # Recompute without a reload: the HTMX swap brings the candidates back in place.
    review_url = page.url
    navigations = track_navigations(page)
    page.evaluate("window.__journeyMarker = 'review'")
    page.get_by_role("button", name=t("この課題の候補を再計算")).click()
    page.wait_for_function("document.querySelector('#candidates article.candidate') !== null")
    page.wait_for_load_state("networkidle")
    assert page.url == review_url and navigations == []
    assert page.evaluate("window.__journeyMarker") == "review"
    assert page.locator("#candidates article.candidate").count() >= 1
    j.check(page, "candidate review (recomputed)")


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_2_coordinator_registers_triages_and_matches(
    browser_instance, live_server, coordinator, monkeypatch, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_issue_to_candidates(j, coordinator, monkeypatch)
        assert_accessible(j)


def test_journey_2_keyboard_only(browser_instance, live_server, coordinator, monkeypatch):
    """Log in, register, triage and match without the mouse.

    Tab moves the focus, Enter / Space press links and buttons, the arrow keys pick an option
    in a focused <select> (as keyboard users do), and j moves between candidates.
    """
    _world()
    SlowWorker(monkeypatch)
    with journey(browser_instance, live_server, "ja", "desktop") as j:
        page = j.actor()
        kb = page.keyboard

        def tab_to(selector: str, limit: int = 150, back: bool = False) -> None:
            target = page.locator(selector).first
            for _ in range(limit):
                if target.evaluate("el => el === document.activeElement"):
                    return
                kb.press("Shift+Tab" if back else "Tab")
            raise AssertionError(f"{selector} cannot be reached with the Tab key")

        def type_into(selector: str, text: str) -> None:
            tab_to(selector)
            kb.insert_text(text)

        def choose(selector: str, value: str, limit: int = 40) -> None:
            tab_to(selector)
            select = page.locator(selector)
            for _ in range(limit):
                if select.input_value() == value:
                    return
                kb.press("ArrowDown")
            raise AssertionError(f"{value} cannot be chosen in {selector} with the keyboard")

        # Log in.
        page.goto(j.url("/login/"))
        type_into("#id_username", coordinator.username)
        type_into("#id_password", DEFAULT_PASSWORD)
        kb.press("Enter")
        expect_url(page, re.compile(r".*/dashboard/$"))

        # Reach the registration form from the menu, with the keyboard.
        tab_to("nav.site-nav a[href='/issues/']")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/issues/$"))
        tab_to("a[href='/issues/new/']")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/issues/new/$"))
        type_into("#id_title", ISSUE_TITLE)
        type_into("#id_description", ISSUE_TEXT)
        # A focused <select> is changed with the arrow keys (how keyboard users pick options).
        choose("#id_ward", str(ward("13101").pk))
        choose("#id_field", str(field("高齢者支援").pk))
        tab_to("#main form.issue-form button[type=submit]")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/issues/\d+/\?saved=1.*"))

        for status in ("reviewing", "open"):
            choose("#detail-status", status)
            tab_to("#detail-status + button")
            kb.press("Space")
            page.wait_for_load_state()
            page.wait_for_function(f"document.querySelector('#detail-status').value === '{status}'")

        tab_to("nav.site-nav a[href='/matching/']")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/matching/$"))
        tab_to("form[action='/matching/runs/start/'] button")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/matching/runs/\d+/$"))
        row = page.locator("#run-progress table tbody tr", has_text=ISSUE_TITLE)
        row.wait_for()
        tab_to(f"#run-progress a:has-text('{ISSUE_TITLE}')")
        kb.press("Enter")
        expect_url(page, re.compile(r".*/matching/issues/\d+/$"))
        assert page.locator("article.candidate").count() >= 1
        # j / k move between candidates; the focus shows which one is active.
        page.locator("body").focus()
        kb.press("j")
        assert page.evaluate("document.activeElement.classList.contains('candidate')")
        j.check(page, "candidate review (keyboard)")
        assert_accessible(j)


# ------------------------------------------------------------------------------ journey 3


def journey_approval_to_project(j, coordinator, approver, evaluator) -> None:
    t = j.t
    issue, resource = _matched_issue()
    partner = partner_user(resource.organization, "partner_sensor")

    # The coordinator asks for approval of the top candidate.
    staff = j.actor()
    j.login(staff, coordinator.username)
    staff.goto(j.url(f"/matching/issues/{issue.pk}/"))
    j.check(staff, "review (coordinator)")
    card = staff.locator("article.candidate", has_text=resource.title)
    card.get_by_role("button", name=t("承認依頼"), exact=True).click()
    staff.locator("article.candidate", has_text=resource.title).locator(
        ".status--requested"
    ).wait_for()

    # The approver approves it from the 承認待ち list.
    boss = j.actor()
    j.login(boss, approver.username)
    boss.goto(j.url("/matching/approvals/"))
    j.check(boss, "approvals")
    boss.get_by_role("link", name=re.compile(re.escape(issue.title))).first.click()
    expect_url(boss, re.compile(rf".*/matching/issues/{issue.pk}/.*"))
    card = boss.locator("article.candidate", has_text=resource.title)
    card.get_by_role("button", name=t("承認"), exact=True).click()
    boss.locator("article.candidate", has_text=resource.title).locator(
        ".status--approved"
    ).wait_for()
    j.check(boss, "review (approved)")

    # The partner accepts the proposal.
    org = j.actor()
    j.login(org, partner.username)
    org.goto(j.url("/matching/partner/proposals/"))
    j.check(org, "partner proposals")
    org.get_by_role("link", name=issue.title).click()
    expect_url(org, re.compile(r".*/matching/partner/proposals/\d+/$"))
    j.check(org, "partner proposal")
    org.get_by_label(t("受諾する")).check()
    org.get_by_role("button", name=t("回答する")).click()
    org.wait_for_load_state()
    body = org.locator("#main").inner_text()
    assert t("提案を受諾しました。連携事業として登録されました。") in body

    # The collaboration project appears in the partner's 事業の成果 and the evaluators' list.
    org.goto(j.url("/evaluation/projects/"))
    j.check(org, "projects (partner)")
    links = org.locator("#main table a")
    assert links.count() == 1, "the partner should see exactly its new project"
    title = links.first.inner_text()
    evaluator_page = j.actor()
    j.login(evaluator_page, evaluator.username)
    evaluator_page.goto(j.url("/evaluation/projects/"))
    evaluator_page.get_by_role("link", name=title).click()
    expect_url(evaluator_page, re.compile(r".*/evaluation/projects/\d+/$"))
    assert title in evaluator_page.locator("h1").inner_text()
    j.check(evaluator_page, "project page")


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_3_approval_proposal_and_project(
    browser_instance, live_server, coordinator, approver, evaluator, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_approval_to_project(j, coordinator, approver, evaluator)
        assert_accessible(j)


# ------------------------------------------------------------------------------ journey 4


def journey_event(j, coordinator) -> None:
    from matching.events.models import Event, EventTheme

    t = j.t
    issue, resource = _matched_issue()
    EventTheme.objects.get_or_create(name="地域の見守り")
    partner = partner_user(resource.organization, "partner_event")

    staff = j.actor()
    j.login(staff, coordinator.username)
    staff.goto(j.url(f"/matching/issues/{issue.pk}/"))
    card = staff.locator("article.candidate", has_text=resource.title)
    card.get_by_role("button", name=t("イベント候補に追加")).click()
    staff.locator("article.candidate", has_text=resource.title).get_by_role(
        "button", name=t("イベント候補から外す")
    ).wait_for()

    staff.goto(j.url("/matching/events/new/"))
    j.check(staff, "event form")
    start = timezone.localtime() + datetime.timedelta(days=7)
    start = start.replace(hour=14, minute=0, second=0, microsecond=0)
    form = staff.locator("#main form", has=staff.locator("#id_starts_at"))
    form.locator("#id_title").fill("見守りテック交流会")
    form.locator("#id_theme").select_option(label="地域の見守り")
    form.locator("#id_format").select_option("venue")
    form.locator("#id_venue").fill("千代田区役所 4階会議室")
    form.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_ends_at").fill(
        (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    form.locator("#id_registration_deadline").fill(
        (start - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    )
    form.locator("#id_capacity").fill("20")
    form.get_by_role("button", name=t("保存")).click()
    expect_url(staff, re.compile(r".*/matching/events/\d+/programme/$"))
    event_id = int(re.search(r"/events/(\d+)/", staff.url).group(1))
    j.check(staff, "programme")
    staff.get_by_label(re.compile(re.escape(issue.title))).check()
    staff.get_by_role("button", name=t("プログラムを保存")).click()
    expect_url(staff, re.compile(rf".*/matching/events/{event_id}/$"))
    staff.get_by_role("button", name=t("招待を送る")).click()
    staff.wait_for_load_state()
    j.check(staff, "event detail")

    # The invited partner registers.
    org = j.actor()
    j.login(org, partner.username)
    org.goto(j.url("/matching/events/mine/"))
    j.check(org, "my invitations")
    row = org.locator("tr", has_text="見守りテック交流会")
    row.get_by_role("button", name=t("参加する"), exact=True).click()
    org.wait_for_load_state()
    assert org.locator("tr", has_text="見守りテック交流会").locator("code").count() == 1

    # The day has come (time moved in the database), and the coordinator closes the event.
    now = timezone.now()
    Event.objects.filter(pk=event_id).update(
        starts_at=now - datetime.timedelta(hours=2),
        ends_at=now - datetime.timedelta(minutes=5),
        registration_deadline=now - datetime.timedelta(days=1),
    )
    staff.goto(j.url(f"/matching/events/{event_id}/close/"))
    j.check(staff, "close form")
    form = staff.locator("#main form.form")
    form.locator("#id_minutes").fill("センサー見守りの実証を次年度に行う方向で合意した。")
    form.locator("select[name^=outcome_]").first.select_option("decided")
    form.locator("input[name=attended]").first.check()
    form.get_by_role("button", name=t("イベントを終了する")).click()
    expect_url(staff, re.compile(rf".*/matching/events/{event_id}/$"))
    assert t("イベントを終了し、結果を記録しました。") in staff.locator("#main").inner_text()
    j.check(staff, "event closed")


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_4_event_from_shortlist_to_outcomes(
    browser_instance, live_server, coordinator, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_event(j, coordinator)
        assert_accessible(j)


# ------------------------------------------------------------------------------ journey 5


def journey_evaluation(j, evaluator) -> None:
    import pypdf

    from portal.fiscal import current_fiscal_year
    from tests.evaluation.factories import IndicatorFactory, MemberFactory
    from tests.matching.factories import ProjectFactory

    t = j.t
    fy = current_fiscal_year()
    project = ProjectFactory(
        title="高齢者見守りセンサー実証事業", start_date=datetime.date(fy, 6, 1)
    )
    indicator = IndicatorFactory(project=project, name="見守り訪問件数")
    MemberFactory(name="山田 花子")

    page = j.actor()
    j.login(page, evaluator.username)
    page.goto(j.url("/evaluation/projects/"))
    j.check(page, "projects")
    page.get_by_role("link", name=project.title).click()
    expect_url(page, re.compile(rf".*/evaluation/projects/{project.pk}/$"))
    j.check(page, "project")

    form = page.locator("form[action$='/measurements/']")
    form.locator("select[name=indicator]").select_option(str(indicator.pk))
    form.locator("input[name=measured_on]").fill(f"{fy}-07-01")
    form.locator("input[name=value]").fill("42")
    form.get_by_role("button", name=t("登録")).click()
    page.wait_for_load_state()
    assert t("測定値を登録しました。") in page.locator("#main").inner_text()
    assert "42" in page.locator(f"#measurements-{indicator.pk}").inner_text()

    form = page.locator("form[action$='/reviews/']")
    form.locator("select[name=member]").select_option(label="山田 花子")
    form.locator("select[name=kind]").select_option(index=0)
    form.locator("select[name=fiscal_year]").select_option(str(fy))
    for select in form.locator("select[name^=score_]").all():
        select.select_option("4")  # one 1–5 score per criterion of the rubric
    form.locator("textarea[name=comment]").fill("見守りの質が向上した。")
    form.locator("textarea[name=recommendations]").fill("訪問記録の様式を統一する")
    due = form.locator("input[name=action_due_date]")
    if due.count():
        due.fill(f"{fy + 1}-03-31")
    form.get_by_role("button", name=t("登録")).click()
    page.wait_for_load_state()
    assert t("外部評価を登録しました。") in page.locator("#main").inner_text()
    assert "山田 花子" in page.locator("#reviews").inner_text()
    j.check(page, "project (recorded)")

    downloads = {}
    for fmt in ("csv", "pdf"):
        page.goto(j.url("/evaluation/reports/"))
        form = page.locator("form.filters")
        form.locator("select[name=fiscal_year]").select_option(str(fy))
        form.locator("select[name=format]").select_option(fmt)
        form.get_by_role("button", name=t("作成する")).click()
        expect_url(page, re.compile(r".*/evaluation/reports/#report-\d+$"))
        row = page.locator("#" + page.url.rsplit("#", 1)[1])
        link = row.get_by_role("link", name=t("ダウンロード"))
        link.wait_for()
        j.check(page, f"reports ({fmt})")
        with page.expect_download() as info:
            link.click()
        downloads[fmt] = info.value

    csv_bytes = Path(downloads["csv"].path()).read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf"), "the CSV lacks the UTF-8 BOM Excel needs"
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    assert len(lines) > 1 and all(line.startswith(str(fy)) for line in lines[1:]), lines[:3]
    pdf_bytes = Path(downloads["pdf"].path()).read_bytes()
    assert pdf_bytes.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    text = "".join(p.extract_text() or "" for p in reader.pages)
    assert "年度" in text, f"the PDF does not hold Japanese text: {text[:200]!r}"


@pytest.mark.parametrize("lang,viewport", [JA_DESKTOP, EN_DESKTOP, JA_MOBILE])
def test_journey_5_evaluation_records_and_annual_report(
    browser_instance, live_server, evaluator, lang, viewport
):
    with journey(browser_instance, live_server, lang, viewport) as j:
        journey_evaluation(j, evaluator)
        assert_accessible(j)
