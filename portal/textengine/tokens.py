"""Analysed tokens stored per text, so that a full fit of the TF-IDF index reads them.

A text is analysed when it is saved or imported (the same after-commit task that stores its
embedding) and again only when it or the analyzer changes; a fit over 100k texts then costs
reading rows instead of Sudachi's ~1 s per hundred texts.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Callable, Sequence

from portal.textengine.analyzer import STOPWORDS, JapaneseAnalyzer, char_ngrams
from portal.textengine.models import TextTokens

type Analyzer = Callable[[str], list[str]]

# Bump when the analysis rules in portal.textengine.analyzer change (what is kept, how it is
# normalised); the dictionary's version and the stopwords are part of the signature already.
RULES_VERSION = 1
_WRITE_BATCH = 1_000


def analyzer_signature(analyzer: Analyzer) -> str | None:
    """A name that changes whenever `analyzer` would tokenise a text differently; None for an
    analyzer this module does not know (its tokens are then never stored)."""
    if isinstance(analyzer, JapaneseAnalyzer):
        dictionary = importlib.metadata.version("sudachidict_core")
        stopwords = hashlib.sha256("\n".join(sorted(STOPWORDS)).encode()).hexdigest()[:12]
        bigrams = "b" if analyzer.bigrams else "u"
        return f"sudachi-{dictionary}-{bigrams}-r{RULES_VERSION}-{stopwords}"
    if analyzer is char_ngrams:
        return f"char-2-3-r{RULES_VERSION}"
    return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class StoredTokens:
    """An analyzer that answers from stored tokens: `load(texts)` reads those stored, analyses
    and stores the rest (in bulk); calls then cost a dictionary look-up. Texts not loaded are
    analysed on the spot (and remembered for this object's life, not stored)."""

    def __init__(self, base: Analyzer) -> None:
        self.base = base
        self.signature = analyzer_signature(base)
        self.memo: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        found = self.memo.get(text)
        if found is None:
            found = self.memo[text] = self.base(text)
        return found

    def load(self, texts: Sequence[str]) -> int:
        """Make every text's tokens ready; returns how many had to be analysed."""
        wanted = {_digest(text): text for text in dict.fromkeys(texts) if text not in self.memo}
        if self.signature is None:
            for text in wanted.values():
                self(text)
            return len(wanted)
        for digest, tokens in TextTokens.stored(
            list(wanted), "tokens", analyzer=self.signature
        ).items():
            self.memo[wanted.pop(digest)] = tokens
        missing = [
            TextTokens(analyzer=self.signature, digest=d, tokens=self(t)) for d, t in wanted.items()
        ]
        TextTokens.objects.bulk_create(missing, batch_size=_WRITE_BATCH, ignore_conflicts=True)
        return len(missing)


def tokens_store(texts: Sequence[str], *, analyzer: Analyzer) -> int:
    """Analyse and store the tokens of the texts not stored yet; returns how many were new."""
    return StoredTokens(analyzer).load(texts)
