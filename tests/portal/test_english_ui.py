"""The English UI has no Japanese left in it outside content that has no English (#14).

Kinds of leftover, each with its own test: text translated once at import time (a form label
or help text in the language the process started in), Japanese literals never wrapped in
gettext, notices stored as finished text in their writer's language, audit-trail labels, and
FAQ content without English fields. The walk at the end follows every role's menu in English.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from portal.localtext import LocalText
from portal.models import FaqCategory, FaqEntry, Notification
from portal.services import notification_send

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "issues", "partners", "matching", "evaluation", "config"]
# A run of Japanese script or full-width forms (（）、。： included: they are slips in English).
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
GETTEXT = {"gettext", "ngettext", "pgettext"}
LAZY = {"gettext_lazy", "ngettext_lazy", "pgettext_lazy"}


def _english(client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


# --- translated once at import time ------------------------------------------------------------


def _translation_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    eager: set[str] = set()
    lazy: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in GETTEXT:
                    eager.add(alias.asname or alias.name)
                elif alias.name in LAZY:
                    lazy.add(alias.asname or alias.name)
    return eager, lazy


def _import_time_translations(path: Path) -> list[str]:
    """Lines outside any function where a text is translated (gettext) or a lazy text is
    forced (`%`, `+`, an f-string, str()): that text is fixed in one language for good."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager, lazy = _translation_names(tree)

    def called(node: ast.AST, names: set[str]) -> bool:
        return (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
        )

    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # run per request, in the reader's language
            forced = (
                called(child, eager)
                or (
                    isinstance(child, ast.BinOp)
                    and (called(child.left, lazy) or called(child.right, lazy))
                )
                or (isinstance(child, ast.FormattedValue) and called(child.value, lazy))
                or (called(child, {"str"}) and any(called(a, lazy) for a in child.args))
            )
            if forced:
                found.append(f"{path.relative_to(ROOT)}:{getattr(child, 'lineno', '?')}")
            visit(child)

    visit(tree)
    return found


def test_no_text_is_translated_once_at_import_time():
    found = [
        line
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for line in _import_time_translations(path)
    ]
    assert found == []


def test_form_labels_and_help_texts_follow_the_reader_language():
    from evaluation.forms import ReportRequestForm
    from matching.conversations.forms import MessageForm
    from portal.passwords import PortalPasswordResetForm

    with translation.override("en"):
        label = str(PortalPasswordResetForm().fields["email"].label)
        help_text = str(MessageForm.base_fields["attachments"].help_text)
        quarter = str(dict(ReportRequestForm.base_fields["quarter"].choices)[1])
    assert not JAPANESE.search(label), label
    assert not JAPANESE.search(help_text), help_text
    assert not JAPANESE.search(quarter), quarter
    with translation.override("ja"):
        assert "メールアドレス" in str(PortalPasswordResetForm().fields["email"].label)


def test_the_map_credit_is_in_the_reader_language(client):
    _english(client)
    html = client.get(reverse("issues:public")).content.decode()
    assert "Source: National Land Numerical Information" in html
    assert "国土数値情報" not in html


# --- notices -----------------------------------------------------------------------------------


def test_a_notice_is_shown_in_the_reader_language_not_the_writer(client, partner_a):
    with translation.override("en"):  # written during an English request …
        notification_send(
            recipients=[partner_a],
            message=LocalText(
                "団体「%(org)s」の審査結果: %(status)s",
                {"org": "株式会社みなとテック", "status": "承認済み"},
            ),
            email=False,
        )
    notice = Notification.objects.get(recipient=partner_a)
    assert notice.message == "団体「株式会社みなとテック」の審査結果: 承認済み"
    client.force_login(partner_a)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert "団体「株式会社みなとテック」の審査結果" in page  # … read in Japanese
    _english(client)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert "Review result for &quot;株式会社みなとテック&quot;" in page
    assert "審査結果" not in page


def test_a_service_notice_keeps_its_msgid_and_translated_parameters(admin_user, org_a, partner_a):
    from partners.services import organization_review

    with translation.override("ja"):
        organization_review(organization=org_a, action="approve", reviewed_by=admin_user, reason="")
    notice = Notification.objects.get(recipient=partner_a)
    with translation.override("en"):
        shown = notice.local_message
    assert shown.startswith('Review result for "株式会社みなとテック"')
    assert not JAPANESE.search(shown.replace("株式会社みなとテック", "")), shown


def test_a_notice_stored_before_keys_shows_its_text(partner_a):
    notice = Notification.objects.create(recipient=partner_a, message="古いお知らせ")
    assert notice.local_message == "古いお知らせ"


# --- history labels ----------------------------------------------------------------------------


def test_history_labels_follow_the_interface_language(client, admin_user, org_a):
    client.force_login(admin_user)
    page = client.get(reverse("partners:org_detail", args=[org_a.pk])).content.decode()
    assert "新規作成" in page and "Created" not in page
    _english(client)
    page = client.get(reverse("partners:org_detail", args=[org_a.pk])).content.decode()
    assert "Created" in page and "新規作成" not in page


# --- FAQ content -------------------------------------------------------------------------------


@pytest.fixture
def faq(db):
    category = FaqCategory.objects.create(name="団体・リソースの登録", name_en="Registration")
    translated = FaqEntry.objects.create(
        category=category,
        question="英語で表示できますか。",
        answer="画面上部の「English」を押してください。",
        question_en="Can I use the portal in English?",
        answer_en="Press “English” at the top of the page.",
    )
    japanese_only = FaqEntry.objects.create(
        category=category,
        question="区役所の窓口はどこですか。",
        answer="各区の案内をご覧ください。",
    )
    return translated, japanese_only


def test_faq_entries_show_their_english_in_the_english_ui(client, faq):
    translated, _ = faq
    _english(client)
    html = client.get(reverse("portal:help_centre")).content.decode()
    assert "Can I use the portal in English?" in html
    assert "Registration" in html and "団体・リソースの登録" not in html
    assert "英語で表示できますか" not in html
    # No English given: the Japanese is shown whole, marked as Japanese for screen readers,
    # with a visible marker that says so.
    assert (
        '<summary><span lang="ja">区役所の窓口はどこですか。</span> '
        '<span class="ja-only" role="note" aria-label="Japanese only (no English text yet)">'
        "Japanese only</span></summary>"
    ) in html
    page = client.get(reverse("portal:faq_entry", args=[translated.pk])).content.decode()
    assert '<h1><span lang="en">Can I use the portal in English?</span></h1>' in page


def test_faq_entries_stay_japanese_in_the_japanese_ui(client, faq):
    html = client.get(reverse("portal:help_centre")).content.decode()
    assert "英語で表示できますか。" in html and "Can I use the portal in English?" not in html


def test_the_faq_assistant_finds_an_english_question(faq):
    pytest.importorskip("portal.textengine.index")
    from portal.support.services import help_search

    assert faq[0] in help_search(query="English")


def test_an_english_question_without_its_answer_is_refused(faq):
    from portal.support.forms import FaqEntryForm

    form = FaqEntryForm(
        data={
            "category": faq[0].category_id,
            "question": "質問",
            "answer": "回答",
            "question_en": "A question",
            "answer_en": "",
            "order": 1,
        }
    )
    assert not form.is_valid()
    assert "answer_en" in form.errors


# --- one word for one thing ------------------------------------------------------------------


def test_the_login_field_is_called_login_id_everywhere(client, coordinator):
    page = client.get(reverse("portal:login")).content.decode()
    assert "ログインID" in page and "ユーザー名" not in page
    refused = client.post(
        reverse("portal:login"), {"username": coordinator.username, "password": "wrong"}
    ).content.decode()
    assert "ユーザー名" not in refused
    privacy = client.get(reverse("portal:privacy")).content.decode()
    assert "ユーザー名" not in privacy and "ログインID" in privacy


def test_a_cancelled_seat_has_the_staff_pages_word(client, coordinator):
    from matching.events import residents, services
    from matching.events.notices import seat_token
    from tests.matching.events.test_lifecycle import _event_data

    event = services.event_create(
        created_by=coordinator, data=_event_data(public=True, resident_signup=True)
    )
    seat = residents.resident_sign_up(
        event=event,
        data={"name": "山田 花子", "email": "h@example.jp", "party_size": 1},
        language="ja",
    )
    residents.resident_cancel(token=seat_token(seat))
    page = client.get(reverse("matching:event_seat", args=[seat_token(seat)])).content.decode()
    assert "不参加" in page and "取り消し済み" not in page


def test_the_month_view_counts_events_in_singular_and_plural(client, coordinator):
    from matching.events import services
    from tests.matching.events.test_lifecycle import _event_data

    event = services.event_create(created_by=coordinator, data=_event_data(public=True))
    month = timezone.localtime(event.starts_at).strftime("%Y-%m")
    _english(client)
    url = reverse("matching:event_public_list") + f"?view=month&month={month}"
    html = client.get(url).content.decode()
    assert "(1 event)" in html and "1 events" not in html
    # The page lists past months too: its heading does not promise upcoming events.
    assert "Upcoming events" not in html


# --- the walk ----------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a person reads or hears: text nodes and the attributes read aloud or shown,
    outside scripts, styles and elements marked lang="ja" (content without English). The
    <title> cannot mark a part of itself: Japanese there is allowed when the page marks the
    same text lang="ja" (the heading of content without English)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SPOKEN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.marked: list[str] = []
        self.title: list[str] = []
        self.links: list[str] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        skip = tag in {"script", "style"} or values.get("lang") == "ja"
        if not skip and not self._skipping():
            self.texts.extend(values[name] or "" for name in self.SPOKEN if name in values)
            if tag == "input" and values.get("type") in {"submit", "button"}:
                self.texts.append(values.get("value") or "")
            if tag == "a" and values.get("href", "").startswith("/"):
                self.links.append(values["href"])
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._skipping():
            self.marked.append(data)
        elif self.stack and self.stack[-1][0] == "title":
            self.title.append(data)
        else:
            self.texts.append(data)

    def title_unmarked(self) -> str:
        title = "".join(self.title)
        for text in self.marked:
            if text.strip():
                title = title.replace(text.strip(), "")
        return title


def _leftovers(html: str, data: set[str]) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    found = []
    for text in [*parser.texts, parser.title_unmarked()]:
        for value in data:
            text = text.replace(value, "")
        found.extend(JAPANESE.findall(text))
    return found, parser.links


def _menu_pages(client) -> list[str]:
    """The home page, then every page its menus link to (header and footer), once each."""
    home = client.get("/", follow=True)
    parser = _Text()
    parser.feed(home.content.decode())
    pages = ["/"]
    for link in parser.links:
        path = link.split("#")[0]
        if path and path not in pages and "logout" not in path:
            pages.append(path)
    return pages


def _data_texts() -> set[str]:
    """What people typed (names of organisations and people): content that has no English."""
    from partners.models import Organization
    from portal.models import User

    names = set(Organization.objects.values_list("name", flat=True))
    for user in User.objects.all():
        names.update({str(user), user.get_full_name(), user.last_name, user.first_name})
    return {name for name in names if name}


@pytest.mark.parametrize(
    "persona", [None, "coordinator", "approver", "evaluator", "admin_user", "partner_a"]
)
def test_every_menu_page_of_each_role_has_no_japanese_left_in_english(client, request, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    _english(client)
    data = _data_texts()
    problems = {}
    pages = _menu_pages(client)
    assert len(pages) > 5
    for path in pages:
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        found, _ = _leftovers(response.content.decode(), data)
        if found:
            problems[path] = sorted(set(found))
    assert problems == {}


def test_every_public_page_has_no_japanese_left_in_english(client):
    """Every public page (portal.statements.views.PUBLIC_PAGES: the accessibility statement's
    list) in English, with one record of each kind on it: Japanese is allowed only inside
    elements marked lang="ja" (content staff have not written in English) and in names."""
    from matching.events.models import Event
    from portal.statements.views import PUBLIC_PAGES
    from tests.public_world import public_world

    args = public_world()
    event = Event.objects.get(pk=args["matching:event_public_detail"][0])
    event.title_en = "Parenting and shopping-street meet-up"
    event.description = "子育て中の方と商店街の交流会です。"
    event.description_en = "A meet-up of parents and the shopping street."
    event.save()
    _english(client)
    data = _data_texts()
    problems = {}
    for url_name, _label in PUBLIC_PAGES:
        html = client.get(reverse(url_name, args=args.get(url_name, []))).content.decode()
        found, _ = _leftovers(html, data)
        if found:
            problems[url_name] = sorted(set(found))
    assert problems == {}, "\n".join(f"{page}: {texts}" for page, texts in problems.items())
    assert len(PUBLIC_PAGES) == 18
    page = client.get(reverse("matching:event_public_detail", args=[event.pk])).content.decode()
    assert "Parenting and shopping-street meet-up" in page and "Japanese only" not in page
    issue_page = client.get(
        reverse("issues:public_detail", args=args["issues:public_detail"])
    ).content.decode()
    assert 'class="ja-only"' in issue_page  # the issue has no English: marked


# --- English content on the staff forms ------------------------------------------------------


def test_staff_give_an_issue_english_on_its_edit_form_and_the_public_page_shows_it(
    client, coordinator
):
    from issues.models import Issue, IssueStatus
    from tests.issues.factories import IssueFactory, issue_data
    from tests.portal.factories import ward

    issue = IssueFactory(ward=ward("13101"), status=IssueStatus.OPEN)
    client.force_login(coordinator)
    url = reverse("issues:edit", args=[issue.pk])
    data = issue_data(version=str(issue.version), title=issue.title)
    data.pop("status")
    half = client.post(url, {**data, "title_en": "Watching over children in the park"})
    assert half.status_code == 400
    assert "fill in this field in English too" not in half.content.decode()  # Japanese UI
    assert "この欄も英語で入力してください" in half.content.decode()
    issue.refresh_from_db()
    assert issue.title_en == ""
    english = {
        **data,
        "title_en": "Watching over children in the park",
        "summary_en": "Volunteers are needed to watch over children after school.",
    }
    assert client.post(url, english).status_code == 302
    issue = Issue.objects.select_related("ward").get(pk=issue.pk)
    public = reverse("issues:public_detail", args=[issue.public_ward_key, issue.pk])
    client.logout()
    japanese = client.get(public).content.decode()
    assert issue.title in japanese and "Watching over children" not in japanese
    _english(client)
    page = client.get(public).content.decode()
    assert '<h1><span lang="en">Watching over children in the park</span></h1>' in page
    assert "Volunteers are needed to watch over children after school." in page
    assert 'class="ja-only"' not in page


@pytest.mark.parametrize(("capacity", "shown"), [(1, "1 person"), (1200, "1,200 people")])
def test_an_event_capacity_is_counted_in_english(client, coordinator, capacity, shown):
    from matching.events import services
    from tests.matching.events.test_lifecycle import _event_data

    event = services.event_create(
        created_by=coordinator, data=_event_data(public=True, capacity=capacity)
    )
    _english(client)
    html = client.get(reverse("matching:event_public_detail", args=[event.pk])).content.decode()
    assert f"<dd>{shown}</dd>" in html
