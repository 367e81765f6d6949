"""Optimistic locking for records several people edit: the second save of a stale form is refused.

A form carries the `version` of the row it was built from; the service locks the row, compares,
and bumps the version when it saves. Two staff (or a partner and a coordinator) editing the same
organisation or resource: the second one gets a conflict message and nothing is overwritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CONFLICT_MESSAGE = _(
    "他の人がこの内容を先に保存しました。画面を開き直して最新の内容を確認してから、"
    "もう一度保存してください。"
)


class Versioned(models.Model):
    """A record several people edit: its `version` goes up by one with every save of a form."""

    version = models.PositiveIntegerField(default=1, help_text="optimistic-locking counter")

    class Meta:
        abstract = True


class Conflict(ValidationError):
    """Someone saved the record after this form was opened; nothing was written.

    A ValidationError (code "conflict"), so a view that shows service errors shows this one too.
    """

    def __init__(self, message: StrOrPromise = CONFLICT_MESSAGE) -> None:
        super().__init__(message, code="conflict")


def row_lock_current[Row: models.Model](
    instance: Row, *, version: int | None, message: StrOrPromise = CONFLICT_MESSAGE
) -> Row:
    """The stored row, locked until the transaction ends; refuses a stale `version`.

    `version=None` means the caller has no form version (a command or a system action) and
    takes the row as it is now. `message` names the record for the person who lost the race.
    """
    fresh = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if version is not None and fresh.version != version:  # type: ignore[attr-defined]
        raise Conflict(message)
    return fresh


class VersionedFormMixin(forms.Form):
    """Adds the hidden `version` of the instance being edited (ModelForms only)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.fields["version"].initial = instance.version
