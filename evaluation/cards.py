"""Dashboard card contexts (a handful of queries each)."""

from __future__ import annotations

from typing import Any

from evaluation.kpi import kpi_compute
from evaluation.selectors import continuation_due as due_list
from evaluation.selectors import projects_visible_to
from portal.fiscal import current_fiscal_year, fiscal_year_label
from portal.models import Role

SUMMARY_CODES = (
    "collaborations_created",
    "match_success_rate",
    "evaluation_coverage",
    "committee_score",
    "actions_implemented",
)


def kpi_summary(user) -> dict[str, Any]:
    fy = current_fiscal_year()
    return {"fy_label": fiscal_year_label(fy), "kpis": [kpi_compute(c, fy) for c in SUMMARY_CODES]}


def continuation_due(user) -> dict[str, Any]:
    ward = user.ward if user.role == Role.COORDINATOR else None
    due = due_list(ward=ward)
    return {"due": due[:5], "more": max(0, len(due) - 5)}


def own_projects(user) -> dict[str, Any]:
    return {"projects": list(projects_visible_to(user).order_by("-start_date")[:5])}
