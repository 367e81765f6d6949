"""Analysed tokens are stored per text, so a full fit reads them instead of running Sudachi on
every text again (at 100k resources tokenising was 1,161 s of a 2,575 s fit)."""

from __future__ import annotations

import pytest

from matching.engine.services import engine_version_build
from matching.scoring import issue_texts, resource_texts
from portal.textengine import analyzer as analyzer_module
from portal.textengine import tokens as tokens_module
from portal.textengine.analyzer import JapaneseAnalyzer, char_ngrams
from portal.textengine.index import TextIndex
from portal.textengine.models import TextTokens
from portal.textengine.tokens import StoredTokens, analyzer_signature, tokens_store
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db

TEXTS = ["一人暮らし高齢者の見守りと安否確認", "子ども食堂の運営を手伝う学生ボランティア"]


@pytest.fixture
def analysed(monkeypatch) -> list[str]:
    """Every text Sudachi is asked to analyse, in order."""
    seen: list[str] = []
    real = analyzer_module._analyze

    def counting(text: str, *, bigrams: bool) -> list[str]:
        seen.append(text)
        return real(text, bigrams=bigrams)

    monkeypatch.setattr(analyzer_module, "_analyze", counting)
    return seen


def test_a_text_is_analysed_once_and_read_back_the_same(analysed):
    assert tokens_store(TEXTS + TEXTS[:1], analyzer=JapaneseAnalyzer()) == 2
    assert sorted(analysed) == sorted(TEXTS)
    assert TextTokens.objects.count() == 2

    stored = StoredTokens(JapaneseAnalyzer())
    assert stored.load(TEXTS) == 0
    assert len(analysed) == 2  # nothing analysed again
    assert stored(TEXTS[0]) == JapaneseAnalyzer()(TEXTS[0]) and "見守る" in stored(TEXTS[0])


def test_the_signature_follows_what_changes_the_tokens(monkeypatch):
    plain, compounds = (
        analyzer_signature(JapaneseAnalyzer()),
        analyzer_signature(JapaneseAnalyzer(bigrams=True)),
    )
    assert plain and compounds and plain != compounds
    assert analyzer_signature(char_ngrams) not in (None, plain)
    assert analyzer_signature(str.split) is None  # unknown: never stored
    monkeypatch.setattr(tokens_module, "RULES_VERSION", tokens_module.RULES_VERSION + 1)
    assert analyzer_signature(JapaneseAnalyzer()) != plain
    monkeypatch.setattr(analyzer_module, "STOPWORDS", analyzer_module.STOPWORDS | {"見守り"})
    monkeypatch.setattr(tokens_module, "STOPWORDS", analyzer_module.STOPWORDS)
    assert analyzer_signature(JapaneseAnalyzer()) not in (None, plain)


def test_a_second_engine_fit_analyses_no_text_and_learns_the_same_index(analysed):
    IssueFactory.create_batch(3)
    ResourceFactory.create_batch(3)
    first = TextIndex.from_bytes(engine_version_build().index_blob)
    fitted_once = len(analysed)
    assert fitted_once > 0

    second = TextIndex.from_bytes(engine_version_build().index_blob)
    documents = issue_texts()[1] + resource_texts()[1]
    assert set(documents) <= set(analysed[:fitted_once])
    assert not set(analysed[fitted_once:]) & set(documents)  # read from storage this time
    assert list(second.terms) == list(first.terms)
