"""Japanese-aware text analysis feeding the TF-IDF index.

Issue and resource texts are written by different people (ward staff, companies, universities), so
the same idea is spelled many ways: full/half width, ｶﾀｶﾅ, こども/子ども/子供, 取組/取り組み.
Sudachi's normalized forms absorb most of that; `normalize` handles what comes before it.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sudachipy import Dictionary, Tokenizer

# Sudachi rejects input above 49,149 UTF-8 bytes; its own input rewriting can lengthen text a
# little after our check, so chunks stay well below the hard limit.
_MAX_CHUNK_BYTES = 32_000
# Any UTF-8 character fits in 4 bytes, so this many characters can never exceed the byte budget.
_MAX_CHUNK_CHARS = _MAX_CHUNK_BYTES // 4

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\u30fc"
# A dash right after kana is a prolonged sound mark typed with the wrong key (コンピュ－タ); after
# anything else it is a real hyphen or minus (2024-04, co-op) and must survive.
_LONG_VOWEL = re.compile(rf"(?<=[\u3041-\u309f\u30a1-\u30fa\u30fc])[{_DASHES}]+")
_WHITESPACE = re.compile(r"\s+")
# Split points for over-long text: after a sentence end or a former line break.
_SENTENCE_END = re.compile(r"(?<=[。!?\s])")

# Kinds of morpheme, precomputed per part-of-speech id so the hot loop does one list lookup.
_DROP = 0
# Nouns, and verbs in 連用形 that act as nouns inside compounds (高齢者見守り, 見守りサービス).
_COMPOUND_PART = 1
_OTHER_CONTENT = 2

# Frequent content-tagged words that say nothing about a topic (normalized forms).
STOPWORDS = frozenset(
    {
        # formal and adverbial nouns
        "こと", "事", "物", "もの", "為", "所", "時", "方", "場合", "中", "上", "今回", "今後",
        "現在", "以上", "以下", "以外", "他", "際", "度", "旨", "訳", "頃", "後", "前", "次",
        "点", "的", "様子", "皆", "当", "本", "感じ", "必要", "一部", "全体", "方々", "御願い",
        # functional verbs that Sudachi tags as 一般
        "関する", "対する", "向ける", "通じる", "於く", "行う", "図る", "思う", "言う",
        "考える", "致す", "頂く", "下さる",
        # light verbs: say how, not what (「ICTによる」「アプリを使う」「〜になる」)
        "よる", "因る", "依る", "使う", "用いる", "為る", "する", "成る", "なる", "有る", "ある",
        "居る", "いる", "出来る", "できる", "来る", "くる", "行く", "いく", "持つ", "基づく",
        "伴う", "含む", "係る", "当たる", "得る", "見る", "続ける", "進める",
    }
)  # fmt: skip


def normalize(text: str) -> str:
    """Fold width, case, prolonged sound marks and whitespace so spelling variants match."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _LONG_VOWEL.sub("ー", text)
    return _WHITESPACE.sub(" ", text).strip()


def _morpheme_kind(pos: tuple[str, ...]) -> int:
    major, minor, *_, conjugation = pos
    if "非自立可能" in pos[1:4]:  # する, ある, いる, なる, できる, ない, よい
        return _DROP
    if major == "名詞":
        return _DROP if minor in {"数詞", "代名詞", "助動詞語幹"} else _COMPOUND_PART
    if major == "動詞":
        return _COMPOUND_PART if conjugation == "連用形-一般" else _OTHER_CONTENT
    if major == "形容詞":
        return _OTHER_CONTENT
    return _DROP


@dataclass
class _SudachiState:
    pid: int
    tokenizer: Tokenizer
    kinds: list[int]


_DICTIONARIES: dict[int, tuple[Dictionary, list[int]]] = {}
_thread_state = threading.local()


def _sudachi() -> _SudachiState:
    """Return this thread's tokenizer, loading the dictionary once per process.

    Keyed by pid because a forked worker inherits the parent's objects but must not share
    native tokenizer state with it; per thread because a Sudachi tokenizer refuses concurrent
    calls ("Tokenizer is already in use"), while the dictionary itself can be shared.
    """
    pid = os.getpid()
    state: _SudachiState | None = getattr(_thread_state, "state", None)
    if state is not None and state.pid == pid:
        return state
    if pid not in _DICTIONARIES:
        from sudachipy import Dictionary

        dictionary = Dictionary(dict="core")
        kinds: list[int] = []
        while (pos := dictionary.pos_of(len(kinds))) is not None:
            kinds.append(_morpheme_kind(pos))
        _DICTIONARIES[pid] = (dictionary, kinds)
    dictionary, kinds = _DICTIONARIES[pid]
    from sudachipy import SplitMode

    state = _SudachiState(pid=pid, tokenizer=dictionary.tokenizer(SplitMode.C), kinds=kinds)
    _thread_state.state = state
    return state


def _chunks(text: str) -> Iterator[str]:
    """Cut text into pieces Sudachi accepts, preferring sentence ends and line breaks."""
    if len(text.encode()) <= _MAX_CHUNK_BYTES:
        yield text
        return
    chunk: list[str] = []
    size = 0
    for sentence in _SENTENCE_END.split(text):
        pieces = [sentence]
        if len(sentence.encode()) > _MAX_CHUNK_BYTES:  # one endless sentence: cut it hard
            pieces = [
                sentence[i : i + _MAX_CHUNK_CHARS]
                for i in range(0, len(sentence), _MAX_CHUNK_CHARS)
            ]
        for piece in pieces:
            length = len(piece.encode())
            if size + length > _MAX_CHUNK_BYTES and chunk:
                yield "".join(chunk)
                chunk, size = [], 0
            chunk.append(piece)
            size += length
    if chunk:
        yield "".join(chunk)


def _analyze(text: str, *, bigrams: bool) -> list[str]:
    state = _sudachi()
    unigrams: list[str] = []
    compounds: list[str] = []
    for chunk in _chunks(normalize(text)):
        previous: str | None = None  # last morpheme if it can start a compound
        for morpheme in state.tokenizer.tokenize(chunk):
            kind = state.kinds[morpheme.part_of_speech_id()]
            if kind == _DROP:
                previous = None
                continue
            form = morpheme.normalized_form().lower()  # Sudachi spells acronyms upper-case
            if form in STOPWORDS:
                previous = None
                continue
            unigrams.append(form)
            if kind == _OTHER_CONTENT:
                previous = None
                continue
            if bigrams and previous is not None:
                compounds.append(f"{previous}_{form}")
            previous = form
    return unigrams + compounds


@functools.lru_cache(maxsize=65_536)
def explainable(term: str) -> bool:
    """Whether an index term may be shown as a shared term: a noun, a proper noun or a content
    verb (light verbs are stopwords); not an adjective, adverb or function word.

    Terms come from the index as normalised forms (compounds joined by "_"); each part is looked
    up again, once per process thanks to the cache.
    """
    state = _sudachi()
    for part in term.split("_"):
        morphemes = [m for m in state.tokenizer.tokenize(part) if m.surface().strip()]
        if not morphemes or part in STOPWORDS:
            return False
        head = morphemes[-1].part_of_speech()
        if (
            head[0] not in ("名詞", "動詞")
            or state.kinds[morphemes[-1].part_of_speech_id()] == _DROP
        ):
            return False
    return True


def tokenize(text: str) -> list[str]:
    """Content words of `text` as Sudachi normalized forms (long unit, SplitMode.C)."""
    return _analyze(text, bigrams=False)


@dataclass(frozen=True)
class JapaneseAnalyzer:
    """TfidfVectorizer analyzer: content words, optionally with adjacent-noun compounds.

    Compounds (防災_訓練, 高齢者_見守る) are off by default: on the benchmark corpus and on a
    hand-labelled set they changed MRR and nDCG@10 by less than their noise while adding half
    again as many terms. `benchmarks/bench_engine.py` repeats that comparison.

    It holds configuration only and reaches Sudachi through the per-process cache, so a fitted
    vectorizer can be pickled into the database and used by any worker.
    """

    bigrams: bool = False

    def __call__(self, text: str) -> list[str]:
        return _analyze(text, bigrams=self.bigrams)


_NON_WORD = re.compile(r"[\W_]+")


def char_ngrams(text: str, n: tuple[int, int] = (2, 3)) -> list[str]:
    """Character n-grams within words: a dictionary-free analyzer for Japanese.

    Runs of letters are cut at punctuation and spaces so n-grams never straddle two phrases.
    """
    low, high = n
    grams: list[str] = []
    for run in _NON_WORD.split(normalize(text)):
        for size in range(low, high + 1):
            grams.extend(run[i : i + size] for i in range(len(run) - size + 1))
    return grams


def _sudachi_available() -> bool:
    """Whether SudachiPy and its core dictionary import (a broken native build counts as no)."""
    try:
        for module in ("sudachipy", "sudachidict_core"):
            import_module(module)
    except ImportError:
        return False
    return True


def default_analyzer() -> Callable[[str], list[str]]:
    """The Sudachi analyzer when the dictionary is installed, character n-grams otherwise."""
    return JapaneseAnalyzer() if _sudachi_available() else char_ngrams
