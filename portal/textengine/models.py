"""Stored sentence embeddings, keyed by the hash of the text they were computed from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TextEmbedding(models.Model):
    """One text's dense vector under one model: float32 bytes, L2-normalised.

    Keyed by content (`digest` = SHA-256 of role + text), not by the issue or resource it came
    from: an unchanged text is never embedded twice, an edited text gets a new row, and portal
    needs to know nothing of the apps whose texts these are.
    """

    model = models.CharField(_("モデル"), max_length=64)
    digest = models.CharField(_("本文のハッシュ"), max_length=64)
    vector = models.BinaryField(_("ベクトル"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "digest"], name="unique_text_embedding")
        ]
        verbose_name = _("本文の埋め込み")
        verbose_name_plural = _("本文の埋め込み")

    def __str__(self) -> str:
        return f"{self.model} {self.digest[:12]}"
