"""portal.identifiers: what each kind of identifier folds (issue #15 item 3)."""

import pytest

from portal.identifiers import (
    checkin_code_key,
    corporate_number_key,
    email_key,
    indicator_key,
    reference_key,
    search_text,
    search_words,
    username_key,
)


@pytest.mark.parametrize(
    "typed",
    [
        "13123-2026-0007",
        "１３１２３－２０２６－０００７",
        "13123ー2026ー0007",
        "13123 − 2026 – 0007",
        " 13123-2026-0007 ",
    ],
)
def test_every_spelling_of_a_ref_is_one_ref(typed):
    assert reference_key(typed) == "13123-2026-0007"


def test_refs_fold_case():
    assert reference_key("ext-001") == reference_key("ＥＸＴ－００１") == "EXT-001"


@pytest.mark.parametrize(
    "typed", ["coordinator3", "ｃoordinator3", "ⓒoordinator3", "𝐜oordinator3", "Coordinator3 "]
)
def test_usernames_that_sign_in_to_one_account_have_one_key(typed):
    assert username_key(typed) == "coordinator3"


def test_email_corporate_number_and_checkin_code_keys():
    assert email_key(" ＨＡＮＡＫＯ＠Minato.example.jp") == "hanako@minato.example.jp"
    assert corporate_number_key("１１８０３０１－０１８７７１") == "1180301018771"
    assert checkin_code_key("ｄ0001 0002-3") == "D000100023"


def test_search_folds_half_width_katakana_and_case():
    stored = search_text("ｺﾞﾐ集積所のｶﾗｽ被害", "ＡＢＣ商店街")
    for query in ["カラス", "ゴミ", "ｺﾞﾐ", "abc"]:
        assert all(word in stored for word in search_words(query))


@pytest.mark.parametrize(
    "typed", ["13101ー2026ー0001", "１３１０１－２０２６－０００１", "13101‐2026‐0001"]
)
def test_search_folds_the_dashes_of_a_ref_however_typed(typed):
    stored = search_text("13101-2026-0001", "見守り")
    assert all(word in stored for word in search_words(typed))


def test_search_keeps_the_long_vowel_mark_inside_a_katakana_word():
    assert search_words("コーヒー") == ["コーヒー"]
    assert "コーヒー" in search_text("駅前のコーヒー店")


@pytest.mark.parametrize(
    "typed",
    [
        "CO2削減量-前年比",
        "ＣＯ２削減量－前年比",
        "co2 削減量 ‐ 前年比",
        "CO2削減量\u200b-前年比\ufeff",
        "CO2削減量ｰ前年比",
    ],
)
def test_every_spelling_of_an_indicator_name_is_one_name(typed):
    # The measurement reader folded NFKC and spaces only: a zero-width space copied from a web
    # page or a full-width dash left the row without its indicator.
    assert indicator_key(typed) == indicator_key("CO2削減量-前年比") == "co2削減量-前年比"


def test_an_indicator_id_typed_full_width_is_the_id():
    assert indicator_key("１２\u200b") == indicator_key(12) == "12"
