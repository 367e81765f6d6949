"""Shared pieces of the browser journeys: actors (one browser context each), labels, axe, a slow worker."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from tests.browser.axe import axe_violations
from tests.portal.factories import DEFAULT_PASSWORD

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
LOCALES = {"ja": "ja-JP", "en": "en-GB"}

# How long a step may take before the journey fails. Every wait is for a condition the user
# waits for (an element, a URL, a finished task), so a fast machine never waits this long; the
# bound is only there so that a broken page fails instead of hanging. CI runs on a loaded
# 2-core machine where a matching run or a PDF can take far longer than on a desktop.
PATIENCE_MS = int(os.environ.get("BROWSER_PATIENCE_MS", "120000"))

# (language, viewport): Japanese desktop for every journey; English and mobile once each.
JA_DESKTOP = ("ja", "desktop")
EN_DESKTOP = ("en", "desktop")
JA_MOBILE = ("ja", "mobile")


def tr(lang: str, text: str) -> str:
    """The text the server renders for the Japanese msgid `text` in `lang` (same catalogue)."""
    with translation.override(lang):
        return str(translation.gettext(text))


WIDE_ELEMENTS_JS = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > limit + 1 && r.width > 0) {
      const parentWide = el.parentElement && el.parentElement.getBoundingClientRect().right > limit + 1;
      if (!parentWide || out.length === 0) {
        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
          ' right=' + Math.round(r.right));
      }
    }
  }
  return out.slice(0, 5);
}"""


class ReflowError(AssertionError):
    """A page scrolls sideways on the phone viewport (WCAG 1.4.10)."""


def assert_accessible(j: Journey) -> None:
    """At the end of a journey: no serious/critical axe finding, then no sideways scrolling."""
    assert j.failures == {}, f"axe found serious/critical violations: {j.failures}"
    if j.reflow:
        raise ReflowError(f"pages scroll sideways on a {MOBILE['width']}px screen: {j.reflow}")


@dataclass
class Journey:
    """One journey: the browser, the live server, the language, and the axe findings so far."""

    browser: object
    live_server: object
    lang: str = "ja"
    viewport: str = "desktop"
    failures: dict = field(default_factory=dict)
    reflow: dict = field(default_factory=dict)
    contexts: list = field(default_factory=list)

    def t(self, text: str) -> str:
        return tr(self.lang, text)

    def url(self, path: str) -> str:
        return self.live_server.url + path

    def actor(self):
        """A fresh browser context (its own cookies) with one page, in the journey's language."""
        context = self.browser.new_context(
            viewport=MOBILE if self.viewport == "mobile" else DESKTOP,
            locale=LOCALES[self.lang],
            is_mobile=self.viewport == "mobile",
            has_touch=self.viewport == "mobile",
            accept_downloads=True,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.set_default_navigation_timeout(PATIENCE_MS)
        page.goto(self.url("/login/"))
        if self.lang != "ja":
            self.switch_language(page)
        return page

    def switch_language(self, page) -> None:
        """Through the header's language buttons, as a user would."""
        button = page.locator("form.lang-switch").get_by_role("button", name="English")
        with page.expect_navigation():
            button.click()
        assert page.locator("html").get_attribute("lang") == "en"

    def login(self, page, username: str, password: str = DEFAULT_PASSWORD) -> None:
        page.goto(self.url("/login/"))
        page.locator("#main").get_by_label(self.t("ログインID")).fill(username)
        page.locator("#main").get_by_label(self.t("パスワード"), exact=True).fill(password)
        page.locator("#main").get_by_role("button", name=self.t("ログイン"), exact=True).click()
        page.wait_for_url(re.compile(r".*/dashboard/$"))

    def menu(self, page, label: str) -> None:
        """Follow the main menu's link `label` (Japanese; translated), opening the folded phone
        menu first when its button shows."""
        toggle = page.get_by_role("button", name=self.t("メニュー"))
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        page.locator("nav.site-nav").get_by_role("link", name=self.t(label), exact=True).click()

    def check(self, page, label: str = "") -> None:
        """axe-core on the page as it is now; serious/critical findings are collected."""
        page.wait_for_load_state()
        violations = axe_violations(page)
        key = f"{label or page.url} [{self.lang}/{self.viewport}]"
        if violations:
            self.failures[key] = violations
        if self.viewport == "mobile":
            # On a phone the page must not scroll sideways (WCAG 1.4.10 reflow).
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                culprits = page.evaluate(WIDE_ELEMENTS_JS)
                self.reflow[key] = f"{overflow}px wider than the screen; widest: {culprits}"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@contextmanager
def journey(browser, live_server, lang: str, viewport: str):
    j = Journey(browser=browser, live_server=live_server, lang=lang, viewport=viewport)
    try:
        yield j
    finally:
        j.close()


def track_navigations(page) -> list[str]:
    """Every top-level navigation of `page` from now on (HTMX swaps are not navigations)."""
    seen: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and seen.append(frame.url))
    return seen


class SlowWorker:
    """Stands in for the Celery worker so a run's progress can be watched step by step.

    `matching.runs.services.run_dispatch` records the run instead of executing it, and each poll of
    the run page (`match_run_stalled` is called once per request, in the live server's thread,
    so no second thread touches the in-memory database) performs one more step: prepare, then
    one chunk per poll.
    """

    def __init__(self, monkeypatch):
        from matching.runs import services as run_services

        self.run_services = run_services
        self.pending: dict[int, list] = {}
        self.original_stalled = run_services.match_run_stalled
        monkeypatch.setattr(settings, "MATCHING_CHUNK_SIZE", 1)
        monkeypatch.setattr(run_services, "run_dispatch", self._dispatch)
        monkeypatch.setattr(run_services, "match_run_stalled", self._stalled)

    def _dispatch(self, task, *, run_id: int, **kwargs) -> None:
        self.pending[run_id] = ["prepare"]

    def _stalled(self, run, **kwargs) -> bool:
        steps = self.pending.get(run.pk)
        if steps:
            step = steps.pop(0)
            if step == "prepare":
                steps.extend(self.run_services.match_run_prepare(run_id=run.pk))
            else:
                self.run_services.match_chunk_execute(chunk_id=step)
        return self.original_stalled(run, **kwargs)


def expect_url(page, pattern, timeout: float = PATIENCE_MS) -> None:
    """Wait for the URL; on failure, say what the page shows (form errors, messages)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_url(pattern, timeout=timeout)
    except PlaywrightTimeout:
        shown = page.eval_on_selector_all(
            ".errorlist, .form-errors, .messages, [role=alert]",
            "els => els.map(e => e.innerText.trim()).filter(Boolean)",
        )
        raise AssertionError(
            f"expected a page matching {pattern!r}, still on {page.url}; the page shows {shown}"
        ) from None


QUESTION = "試行の対象世帯はどのように選びますか。"
ANSWER = "町会と民生委員の推薦で選びます。来週打合せをしましょう。"


def talk_about_the_project(j: Journey, partner, staff, issue, coordinator) -> None:
    """The partner member opens their only project and writes in its conversation; the
    coordinator (signed in as `staff`) finds the thread in the conversation list and replies;
    the partner sees the reply and that the coordinator has read the question."""
    t = j.t
    partner.goto(j.url("/evaluation/projects/"))
    links = partner.locator("#main table a")
    assert links.count() == 1, "the partner should see exactly its new project"
    links.first.click()
    expect_url(partner, re.compile(r".*/evaluation/projects/\d+/$"))
    j.check(partner, "project")
    partner.get_by_role("link", name=t("この連携事業について区と団体でやりとりする")).click()
    expect_url(partner, re.compile(r".*/matching/conversations/projects/\d+/$"))
    thread_url = partner.url
    partner.locator("textarea[name=body]").fill(QUESTION)
    partner.get_by_role("button", name=t("送信する")).click()
    partner.locator("#thread .chat-message", has_text=QUESTION).wait_for()
    j.check(partner, "conversation (sent)")

    staff.goto(j.url("/matching/conversations/"))
    j.check(staff, "conversations")
    staff.get_by_role("link", name=re.compile(re.escape(issue.title))).first.click()
    expect_url(staff, re.compile(re.escape(thread_url) + "$"))
    assert QUESTION in staff.locator("#thread").inner_text()
    staff.locator("textarea[name=body]").fill(ANSWER)
    staff.get_by_role("button", name=t("送信する")).click()
    staff.locator("#thread .chat-message", has_text=ANSWER).wait_for()
    j.check(staff, "conversation (reply)")

    partner.reload()
    thread = partner.locator("#thread")
    assert ANSWER in thread.inner_text()
    question = thread.locator(".chat-message", has_text=QUESTION)
    assert str(coordinator) in question.locator(".chat-message__read").inner_text()
    j.check(partner, "conversation (reply seen)")
