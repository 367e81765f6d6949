"""Suggested metadata while an issue or a resource is being written (HTMX, before saving)."""

from __future__ import annotations

import json

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from issues.forms import IssueForm
from matching.engine.suggest import ISSUE, RESOURCE, fields_to_fill, record_text, suggester_load
from partners.forms import ResourceForm
from portal.access import AuthenticatedRequest, coordinator_required, partner_required

# Fewer characters than this say too little for a suggestion worth pre-selecting.
MIN_TEXT = 15
# The hidden record names a few choice fields and their values' keys (well under 1,000
# characters for every field the forms have); anything longer was not written by the page.
PREVIOUS_MAX_CHARS = 10_000


def _previous(raw: str) -> dict[str, list[str]]:
    """The hidden `suggested` field back as {field: values}; anything malformed — not JSON,
    longer than ``PREVIOUS_MAX_CHARS``, nested deeper than the parser's recursion limit
    (issue #15: 100,000 ``[`` answered 500) — is nothing."""
    if len(raw or "") > PREVIOUS_MAX_CHARS:
        return {}
    try:
        data = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): [str(v) for v in values]
        for name, values in data.items()
        if isinstance(values, list)
    }


def _suggest(request: AuthenticatedRequest, *, kind: str, form: forms.BaseForm) -> HttpResponse:
    """Re-render the choice fields a suggestion may fill (out of band) and the hidden record
    of what suggestions hold; fields the person chose are never part of the answer."""
    text = record_text(request.POST.get("title", ""), request.POST.get("description", ""))
    suggester = suggester_load() if len(text) >= MIN_TEXT else None
    proposed = suggester.suggest(kind, text) if suggester is not None else {}
    previous = _previous(request.POST.get("suggested", ""))
    names = [name for name in {*proposed, *previous} if name in form.fields]
    fill, holding = fields_to_fill(
        proposed={name: proposed[name] for name in names if name in proposed},
        posted={name: request.POST.getlist(name) for name in names},
        previous={name: previous[name] for name in names if name in previous},
    )
    for name, values in fill.items():
        several = form.fields[name].widget.allow_multiple_selected
        form.initial[name] = values if several else values[0]
    return render(
        request,
        "matching/_suggest.html",
        {
            "kind": kind,
            "filled": [form[name] for name in form.fields if name in fill],
            "suggested": json.dumps(holding, sort_keys=True),
        },
    )


@coordinator_required
@require_POST
def suggest_issue(request: AuthenticatedRequest) -> HttpResponse:
    """The issue form's text → its 分野, SDGs, target groups and desired kinds pre-selected."""
    return _suggest(request, kind=ISSUE, form=IssueForm())


@partner_required
@require_POST
def suggest_resource(request: AuthenticatedRequest) -> HttpResponse:
    """The resource form's text → its kind, 分野 and SDGs pre-selected."""
    return _suggest(request, kind=RESOURCE, form=ResourceForm())
