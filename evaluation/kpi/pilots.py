"""KPI: pilots that became adoption (実証から本格導入への移行率).

Urban Innovation JAPAN reports that 40 % or more of its pilots (実証実験) between local
governments and companies go on to adoption (本格導入); the portal measures the same step from
its projects' status history (matching.projects: ProjectStatusChange).
"""

from __future__ import annotations

from evaluation.kpi.base import pct
from matching.projects.models import Project
from matching.projects.selectors import pilot_conclusions
from portal.fiscal import fiscal_year_range
from portal.models import Ward


def kpi_pilot_adoption_rate(fiscal_year: int, ward: Ward | None = None, *, period=None) -> dict:
    """Pilot → adoption rate (%), a flow measure over the 年度 (or the quarter asked for).

    Numerator: projects whose pilot concluded in the period by becoming 本格導入.
    Denominator: projects whose pilot concluded in the period — the first change, dated in the
    period, that took the project out of 実証 (or 継続, a pilot run on) into 本格導入, 終了 or
    中止. A pilot still running is not counted yet; a project reopened later is not counted
    twice. Source records: matching's project status history (the day each change took effect,
    Tokyo dates); a ward view counts that ward's projects.
    Target 40 %: Urban Innovation JAPAN's share of pilots that went on to adoption.
    """
    date_from, date_to = period or fiscal_year_range(fiscal_year)
    records = pilot_conclusions(date_from, date_to, ward)
    adopted = sum(1 for change in records if change.to_status == Project.Status.ADOPTED)
    return {
        "value": pct(adopted, len(records)),
        "records": records,
        "numerator": adopted,
        "denominator": len(records),
    }
