"""Values computed once per text and stored under its hash: sentence embeddings, analysed tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

_FETCH_CHUNK = 500  # digests per IN (...) query: well under SQLite's variable limit


class StoredPerText(models.Model):
    """Something computed once from a text and kept under the SHA-256 `digest` of the text."""

    digest = models.CharField(_("本文のハッシュ"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @classmethod
    def stored(cls, digests: Sequence[str], value: str, **key: str) -> dict[str, Any]:
        """digest → the stored `value` column of the rows matching `key` (e.g. model=...),
        for those of `digests` that are stored; a query per 500 distinct digests."""
        unique = list(dict.fromkeys(digests))
        found: dict[str, Any] = {}
        for start in range(0, len(unique), _FETCH_CHUNK):
            found.update(
                cls.objects.filter(  # type: ignore[attr-defined]
                    digest__in=unique[start : start + _FETCH_CHUNK], **key
                ).values_list("digest", value)
            )
        return found


class TextEmbedding(StoredPerText):
    """One text's dense vector under one model: float32 bytes, L2-normalised.

    Keyed by content (`digest` = SHA-256 of role + text), not by the issue or resource it came
    from: an unchanged text is never embedded twice, an edited text gets a new row, and portal
    needs to know nothing of the apps whose texts these are.
    """

    model = models.CharField(_("モデル"), max_length=64)
    vector = models.BinaryField(_("ベクトル"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "digest"], name="unique_text_embedding")
        ]
        verbose_name = _("本文の埋め込み")
        verbose_name_plural = _("本文の埋め込み")

    def __str__(self) -> str:
        return f"{self.model} {self.digest[:12]}"


class TextTokens(StoredPerText):
    """One text's analysed tokens (the TF-IDF analyzer's output), as a JSON list.

    Keyed like TextEmbedding by content (`digest` = SHA-256 of the text) and by the analyzer
    (`analyzer` = its signature, which changes with the dictionary, the stopwords or the rules),
    so that a full engine fit reads tokens instead of running Sudachi on every text again: at
    100k resources tokenising took 1,161 s of a 2,575 s fit (cProfile, loaded 2-core machine).
    """

    analyzer = models.CharField(_("解析器"), max_length=64)
    tokens = models.JSONField(_("語"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["analyzer", "digest"], name="unique_text_tokens")
        ]
        verbose_name = _("本文の解析結果")
        verbose_name_plural = _("本文の解析結果")

    def __str__(self) -> str:
        return f"{self.analyzer} {self.digest[:12]}"
