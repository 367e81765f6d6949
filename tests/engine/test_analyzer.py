"""Normalisation and tokenisation of Japanese issue and resource texts."""

from __future__ import annotations

import pickle
from multiprocessing import get_context

import pytest

from portal.textengine import analyzer as analyzer_module
from portal.textengine.analyzer import (
    JapaneseAnalyzer,
    char_ngrams,
    default_analyzer,
    normalize,
    tokenize,
)

SENTENCE = "高齢者の見守り活動を支援する学生ボランティアを募集しています"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("全角ＡＢＣ", "全角abc"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("ＤＸ推進", "dx推進"),
        ("ｻｰﾊﾞｰ", "サーバー"),
        ("コンピュ－タ", "コンピュータ"),
        ("サーバ‐", "サーバー"),
        ("メール—ニュース", "メールーニュース"),
        ("コーーヒー", "コーヒー"),
        ("２０２４-０４", "2024-04"),
        ("co-op", "co-op"),
        ("  高齢者\n\t見守り　活動 ", "高齢者 見守り 活動"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_tokenize_keeps_content_words_only() -> None:
    tokens = tokenize(SENTENCE)
    assert {"高齢者", "見守る", "活動", "支援", "学生", "ボランティア", "募集"} <= set(tokens)
    # particles, auxiliaries and the light verbs する/いる
    assert not {"の", "を", "て", "ます", "する", "為る", "いる", "居る"} & set(tokens)


def test_tokenize_unifies_spelling_variants() -> None:
    assert tokenize("こども") == tokenize("子ども") == tokenize("子供")
    assert tokenize("取組") == tokenize("取り組み")
    assert tokenize("ＤＸ") == tokenize("dx") == ["dx"]


def test_tokenize_drops_numbers_pronouns_and_stopwords() -> None:
    tokens = tokenize("令和6年に私たちは3件の事業を行うことになりました")
    assert "事業" in tokens
    assert not {"6", "3", "私達", "行う", "こと", "成る"} & set(tokens)


def test_analyzer_can_add_compounds_of_adjacent_nouns() -> None:
    with_compounds = JapaneseAnalyzer(bigrams=True)
    terms = with_compounds("高齢者見守りサービスと防災訓練")
    assert {"高齢者_見守る", "見守る_サービス", "防災_訓練"} <= set(terms)
    # a particle in between means two separate things, not a compound
    assert "高齢者_見守る" not in with_compounds("高齢者の見守り")
    assert JapaneseAnalyzer()("防災訓練") == ["防災", "訓練"]


def test_analyzer_pickles() -> None:
    analyzer = JapaneseAnalyzer()
    restored = pickle.loads(pickle.dumps(analyzer))  # noqa: S301 - our own bytes
    assert restored == analyzer
    assert restored(SENTENCE) == analyzer(SENTENCE)


def test_analyzer_works_in_a_fresh_process() -> None:
    analyzer = JapaneseAnalyzer()
    with get_context("spawn").Pool(1) as pool:
        assert pool.map(analyzer, [SENTENCE]) == [analyzer(SENTENCE)]


def test_text_over_sudachi_limit_is_tokenized() -> None:
    text = (SENTENCE + "。\n") * 2500
    assert len(text.encode()) > 60_000
    assert tokenize(text) == tokenize(SENTENCE) * 2500


def test_text_without_sentence_breaks_is_tokenized() -> None:
    text = "防災訓練" * 20_000
    assert len(tokenize(text)) == 40_000


def test_char_ngrams_stay_inside_words() -> None:
    assert char_ngrams("ＤＸ推進、見守り") == [
        "dx", "x推", "推進", "dx推", "x推進", "見守", "守り", "見守り",
    ]  # fmt: skip
    assert char_ngrams("高齢者", n=(1, 1)) == ["高", "齢", "者"]


def test_default_analyzer_prefers_sudachi() -> None:
    assert default_analyzer() == JapaneseAnalyzer()


def test_default_analyzer_falls_back_without_sudachi(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(analyzer_module, "import_module", missing)
    assert default_analyzer() is char_ngrams
