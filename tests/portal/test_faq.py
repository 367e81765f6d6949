"""Help centre, FAQ maintenance and the FAQ assistant (retrieval with the Japanese text engine)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import FaqCategory, FaqEntry, UnansweredQuestion

pytest.importorskip("portal.textengine.index")

ENTRIES = [
    (
        "団体・リソースの登録",
        "企業や大学が団体登録するにはどうすればよいですか。",
        "トップページの「団体登録」から団体名・種別・所在地・担当者の連絡先を入力して申請してください。",
        "団体登録 申請 会社 大学 新規登録",
    ),
    (
        "ポータルの使い方",
        "ポータルにログインできません。",
        "パスワードを忘れた場合は、区の担当コーディネーターまたは管理者に再発行を依頼してください。",
        "パスワード 忘れた ログイン サインイン",
    ),
    (
        "イベント",
        "イベントの参加を取り消したいです。",
        "「イベントの招待」画面で「取り消す」を押してください。空いた席はキャンセル待ちの方に回ります。",
        "キャンセル 取り消し 欠席",
    ),
    (
        "評価・成果",
        "評価報告書はどこで見られますか。",
        "公開された年度報告書は「成果の公開」ページからPDFで閲覧できます。",
        "報告書 公開 PDF ダウンロード",
    ),
]


@pytest.fixture
def faq(db):
    entries = {}
    for order, (category, question, answer, keywords) in enumerate(ENTRIES):
        cat, _ = FaqCategory.objects.get_or_create(name=category, defaults={"order": order})
        entries[question] = FaqEntry.objects.create(
            category=cat, question=question, answer=answer, keywords=keywords
        )
    return entries


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("パスワードを忘れてしまいました", "ポータルにログインできません。"),
        (
            "会社として登録したいのですが手続きは？",
            "企業や大学が団体登録するにはどうすればよいですか。",
        ),
        ("申し込んだ交流会をキャンセルしたい", "イベントの参加を取り消したいです。"),
    ],
)
def test_assistant_finds_the_entry_for_a_paraphrased_question(client, faq, question, expected):
    response = client.post(
        reverse("portal:faq_ask"), {"q": question}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body  # the partial only
    assert body.index(expected) < min(
        body.index(q) if q in body else len(body) for q in faq if q != expected
    )
    assert reverse("portal:faq_entry", args=[faq[expected].pk]) in body
    assert "類似度" in body
    assert not UnansweredQuestion.objects.exists()


def test_unanswered_question_is_stored_and_offers_a_consultation(client, faq):
    response = client.post(reverse("portal:faq_ask"), {"q": "駅前のおいしいラーメン屋は？"})
    body = response.content.decode()
    assert "見つけられませんでした" in body
    assert reverse("portal:consultation_new") in body
    question = UnansweredQuestion.objects.get()
    assert question.text == "駅前のおいしいラーメン屋は？"


def test_staff_turn_an_unanswered_question_into_an_entry(client, faq, coordinator):
    question = UnansweredQuestion.objects.create(text="駐車場はありますか")
    client.force_login(coordinator)
    assert "駐車場はありますか" in client.get(reverse("portal:unanswered_list")).content.decode()
    client.post(
        reverse("portal:unanswered_convert", args=[question.pk]),
        {
            "category": FaqCategory.objects.get(name="イベント").pk,
            "question": "イベント会場に駐車場はありますか。",
            "answer": "会場には駐車場がありません。公共交通機関をご利用ください。",
            "keywords": "駐車場 車 アクセス",
            "published": "on",
            "order": 1,
        },
    )
    question.refresh_from_db()
    assert question.faq_entry.question == "イベント会場に駐車場はありますか。"
    client.logout()
    body = client.post(
        reverse("portal:faq_ask"), {"q": "車で行っても停められる？駐車場"}
    ).content.decode()
    assert "イベント会場に駐車場はありますか。" in body


def test_help_centre_is_public_and_searches_in_japanese(client, faq):
    page = client.get(reverse("portal:help_centre")).content.decode()
    assert "評価報告書はどこで見られますか。" in page
    results = client.get(
        reverse("portal:help_centre"), {"q": "報告書 ダウンロード"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "評価報告書はどこで見られますか。" in results
    assert "ポータルにログインできません。" not in results


def test_unpublished_entries_are_not_shown(client, faq):
    entry = faq["評価報告書はどこで見られますか。"]
    FaqEntry.objects.filter(pk=entry.pk).update(published=False)
    assert client.get(reverse("portal:faq_entry", args=[entry.pk])).status_code == 404
    body = client.post(
        reverse("portal:faq_ask"), {"q": "報告書をダウンロードしたい"}
    ).content.decode()
    assert "評価報告書はどこで見られますか。" not in body


def test_faq_crud_for_staff_only(client, faq, coordinator, partner_a):
    client.force_login(partner_a)
    assert client.get(reverse("portal:faq_manage")).status_code == 403
    client.force_login(coordinator)
    entry = faq["ポータルにログインできません。"]
    data = {
        "category": entry.category_id,
        "question": entry.question,
        "answer": "新しい回答",
        "keywords": "",
        "published": "on",
        "order": 1,
        "version": entry.version,
    }
    client.post(reverse("portal:faq_edit", args=[entry.pk]), data)
    entry.refresh_from_db()
    assert (entry.answer, entry.version) == ("新しい回答", 2)
    # A second edit from the stale form is refused.
    data["answer"] = "古い画面からの回答"
    response = client.post(reverse("portal:faq_edit", args=[entry.pk]), data)
    assert "他の職員がこのFAQを更新しました" in response.content.decode()
    assert FaqEntry.objects.get(pk=entry.pk).answer == "新しい回答"
    client.post(reverse("portal:faq_delete", args=[entry.pk]))
    assert not FaqEntry.objects.filter(pk=entry.pk).exists()


def test_the_assistant_answers_an_english_question_in_english(client, faq):
    """Asked in the English UI, the assistant finds the entry by its English text and answers
    with it; an entry without English is offered in Japanese, marked as such (#14)."""
    registration = faq["企業や大学が団体登録するにはどうすればよいですか。"]
    registration.question_en = "How does a company or university register its organisation?"
    registration.answer_en = "Choose “Register an organisation” on the home page and apply."
    registration.save()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(
        reverse("portal:faq_ask"),
        {"q": "How do I register my company?"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    first = body.index("<li>")
    assert body.index(
        '<span lang="en">How does a company or university register its organisation?</span>'
    ) == body.index("<span", first)
    assert '<div lang="en"><p>Choose “Register an organisation” on the home page' in body
    assert "団体登録するには" not in body
    assert not UnansweredQuestion.objects.exists()
