"""Statement pages anyone can read, linked from every page's footer, and /favicon.ico."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control

from portal.access import public

FAVICON = Path(settings.BASE_DIR) / "static" / "favicon.ico"
# When the statements took effect (shown on each page; change it when their text changes).
STATEMENTS_DATED = datetime.date(2026, 12, 1)


@dataclass(frozen=True)
class AccessibilityTest:
    """The automated test the accessibility statement reports (tests/browser/test_public_pages.py).

    `tool` names the axe-core version vendored in tests/vendor (a test keeps them equal);
    `tested_on` is the date of the last run whose result the statement states.
    """

    tested_on: datetime.date
    tool: str
    viewports: tuple[str, ...]
    languages: tuple[str | Promise, ...]


ACCESSIBILITY_TEST = AccessibilityTest(
    tested_on=datetime.date(2026, 11, 30),
    tool="axe-core 4.14.1",
    viewports=("390 × 844", "1280 × 900"),
    languages=(_("日本語表示"), _("英語表示")),
)

# The public pages the statement covers and the browser test checks, by URL name; pages that
# show one record (an issue, a project, an event, an FAQ entry) are checked with one of each.
PUBLIC_PAGES: tuple[tuple[str, object], ...] = (
    ("portal:home", _("ホーム")),
    ("issues:public", _("公開中の地域課題（一覧・地図）")),
    ("issues:public_detail", _("地域課題ごとのページ")),
    ("evaluation:public", _("連携事業の評価結果（公開）")),
    ("evaluation:public_project", _("連携事業ごとのページ")),
    ("matching:event_public_list", _("イベントのお知らせ")),
    ("matching:event_public_detail", _("イベントごとのページ")),
    ("portal:help_centre", _("ヘルプ")),
    ("portal:faq_entry", _("よくある質問の各項目")),
    ("portal:consultation_new", _("相談フォーム")),
    ("portal:advice_slots", _("個別相談会の空き枠")),
    ("partners:register", _("連携団体の登録")),
    ("portal:login", _("ログイン")),
    ("portal:password_reset", _("パスワードの再設定")),
    ("portal:privacy", _("個人情報の取扱い")),
    ("portal:terms", _("利用規約")),
    ("portal:accessibility", _("ウェブアクセシビリティ方針")),
    ("portal:contact", _("お問い合わせ")),
)


def _statement(request: HttpRequest, template: str, **context) -> HttpResponse:
    return render(
        request,
        f"portal/statements/{template}.html",
        {"dated": STATEMENTS_DATED, "contact_email": settings.CONTACT_EMAIL, **context},
    )


@public
def privacy(request: HttpRequest) -> HttpResponse:
    """Anyone: 個人情報の取扱い — what the portal collects, why, how long, who sees it."""
    return _statement(request, "privacy", retention=settings.PERSONAL_DATA_RETENTION_DAYS)


@public
def terms(request: HttpRequest) -> HttpResponse:
    """Anyone: 利用規約."""
    return _statement(request, "terms")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    """Anyone: the accessibility statement (方針 and 試験結果, JIS X 8341-3:2016 target AA)."""
    return _statement(request, "accessibility", test=ACCESSIBILITY_TEST, pages=PUBLIC_PAGES)


@public
def contact(request: HttpRequest) -> HttpResponse:
    """Anyone: where to ask what (consultation form, help, mail and phone of the office)."""
    return _statement(request, "contact", contact_phone=settings.CONTACT_PHONE, dated=None)


@public
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, which browsers ask for whatever the page's <link rel="icon"> says."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
