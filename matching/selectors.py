"""Reads of the matching app: review lists, explanations in plain Japanese, fairness, cards."""

from __future__ import annotations

import math
from typing import Any, cast

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from issues.models import Issue
from matching.engine.suggest import MIN_RECORDS, TARGETS, TFIDF
from matching.models import (
    Candidate,
    Decision,
    EngineVersion,
    ExposureLog,
    MatchRun,
    Proposal,
)
from matching.offers.selectors import partner_proposals_waiting
from matching.rules import FEATURES
from partners.models import Membership, Organization, OrgSize, OrgType
from portal.choices import SDG_GOALS
from portal.fiscal import english
from portal.identifiers import search_words
from portal.models import Role, User
from portal.rounding import percent

FEATURE_LABELS = {
    "text": gettext_lazy("本文の類似度"),
    "semantic": gettext_lazy("意味の近さ"),
    "field": gettext_lazy("分野の一致"),
    "sdg": gettext_lazy("SDGsの重なり"),
    "kind": gettext_lazy("求めるリソースの種類"),
    "same_ward": gettext_lazy("同じ区"),
    "adjacent_ward": gettext_lazy("隣接する区"),
    "track_record": gettext_lazy("この分野の実績"),
}


def feature_label(name: str) -> str:
    return str(FEATURE_LABELS.get(name, name))


def _rule_line(rule: dict[str, Any]) -> str:
    code = rule.get("code")
    if code == "ward_any":
        return _("区を問わない課題です。")
    if code == "ward_all":
        return _("リソースは全区が対象です。")
    if code == "ward_served":
        return _("リソースは%(ward)sを対象にしています。") % {"ward": rule.get("ward", "")}
    if code == "period":
        return _("希望期間とリソースの提供期間が重なっています。")
    if code == "organization":
        return _("団体は審査済み（承認済み）で、リソースは提供中です。")
    if code == "capacity":
        return _("受入可能件数の残りは %(left)s 件です。") % {"left": rule.get("left", 0)}
    if code == "field":
        return _("分野「%(field)s」が一致しています。") % {"field": rule.get("field", "")}
    if code == "field_unknown":
        return _(
            "分野未登録: リソースの分野が登録されていないため、分野では加点も減点もしていません。"
        )
    if code == "sdg":
        goals = ", ".join(str(g) for g in rule.get("goals", []))
        return _("SDGsの目標 %(goals)s が共通しています。") % {"goals": goals}
    if code == "kind":
        return _("課題が求めるリソースの種類（%(kind)s）です。") % {"kind": rule.get("kind", "")}
    if code == "same_ward":
        return _("団体は課題と同じ%(ward)sにあります。") % {"ward": rule.get("ward", "")}
    if code == "adjacent_ward":
        return _("団体は隣接する%(ward)sにあります。") % {"ward": rule.get("ward", "")}
    if code == "track_record":
        count = int(rule.get("count", 0))
        return ngettext(
            "この分野で完了した連携事業が %(count)s 件あります。",
            "この分野で完了した連携事業が %(count)s 件あります。",
            count,
        ) % {"count": number_format(count, force_grouping=True)}
    return str(code)


def _cap_lines(cap: dict[str, Any] | None) -> list[str]:
    """The exposure cap's move of this candidate (matching.runs.services.exposure_cap_apply)."""
    if not cap:
        return []
    if cap.get("direction") == "down":
        text = _(
            "表示割合の上限（1団体 %(percent)s%%）により順位を下げました。"
            "この団体は他の課題でも上位5件に多く入っています。"
        )
    else:
        text = _("表示割合の上限（1団体 %(percent)s%%）により、上位5件に繰り上がりました。")
    return [text % {"percent": cap.get("percent", 0)}]


def explanation_view(candidate: Candidate) -> dict[str, Any]:
    """What the review screen shows: shared terms, rules that fired and each contribution."""
    explanation = candidate.explanation or {}
    components = candidate.components or {}
    contributions = components.get("contributions", {})
    features = components.get("features", {})
    total = sum(max(0.0, float(v)) for v in contributions.values()) or 1.0
    parts = [
        {
            "name": name,
            "label": feature_label(name),
            "value": features.get(name, 0.0),
            "contribution": contributions.get(name, 0.0),
            "percent": round(100 * max(0.0, float(contributions.get(name, 0.0))) / total),
        }
        for name in FEATURES
        if contributions.get(name)
    ]
    return {
        "terms": [{"term": t, "weight": w} for t, w in explanation.get("terms", [])],
        "rules": [
            *_cap_lines(explanation.get("cap")),
            *(_rule_line(rule) for rule in explanation.get("rules", [])),
        ],
        "parts": parts,
        "model": _("学習したランキング")
        if components.get("model") == "learned"
        else _("手動の重み"),
    }


def explanation_text(candidate: Candidate) -> str:
    view = explanation_view(candidate)
    pieces = []
    if view["terms"]:
        pieces.append(
            _("共通する語: %(terms)s")
            % {"terms": "、".join(f"{t['term']}({t['weight']:.2f})" for t in view["terms"])}
        )
    pieces += view["rules"]
    if view["parts"]:
        pieces.append(
            _("内訳: %(parts)s")
            % {"parts": "、".join(f"{p['label']} {p['contribution']:+.3f}" for p in view["parts"])}
        )
    return " / ".join(pieces)


def candidates_for_export() -> QuerySet[Candidate]:
    return (
        Candidate.objects.filter(current=True)
        .select_related("issue", "resource")
        .order_by("issue__ref", "rank")
    )


def issues_in_scope(user: User) -> QuerySet[Issue]:
    """Issues a staff member reviews: coordinators and approvers their ward's, others all."""
    qs = Issue.objects.all()
    if user.role in (Role.COORDINATOR, Role.APPROVER) and user.ward_id:
        qs = qs.filter(Q(ward_id=user.ward_id) | Q(ward__isnull=True))
    return qs


def issues_for_review(*, user: User, query: str = "", waiting_only: bool = False):
    qs = (
        issues_in_scope(user)
        .filter(candidates__isnull=False)
        .annotate(
            candidate_total=Count("candidates", filter=Q(candidates__current=True), distinct=True),
            waiting=Count(
                "candidates",
                filter=Q(candidates__current=True, candidates__verdict="", candidates__rank__lte=5),
                distinct=True,
            ),
            requested=Count("candidates", filter=Q(candidates__verdict="requested"), distinct=True),
        )
        .select_related("ward", "field")
        .order_by("-waiting", "-priority", "ref")
    )
    # Ref and title typed in any width or case (portal.identifiers): every word must match.
    for word in search_words(query):
        qs = qs.filter(search_text__contains=word)
    if waiting_only:
        qs = qs.filter(waiting__gt=0)
    return qs


def candidates_for_issue(issue: Issue) -> list[Candidate]:
    return list(
        Candidate.objects.filter(issue=issue)
        .select_related("resource__organization__ward")
        .order_by("-current", "rank", "pk")
    )


def last_decisions(issue: Issue) -> dict[int, Decision]:
    out: dict[int, Decision] = {}
    for decision in (
        Decision.objects.filter(issue=issue).select_related("decided_by").order_by("decided_at")
    ):
        out[decision.resource_id] = decision
    return out


def pending_approvals(user: User) -> QuerySet[Candidate]:
    qs = Candidate.objects.filter(verdict=Decision.Verdict.REQUESTED).select_related(
        "issue__ward", "resource__organization"
    )
    if user.role == Role.APPROVER and user.ward_id:
        qs = qs.filter(Q(issue__ward_id=user.ward_id) | Q(issue__ward__isnull=True))
    return qs.order_by("issue__ref", "rank")


def partner_organization(user: User) -> Organization | None:
    membership = Membership.objects.filter(user=user).select_related("organization").first()
    return membership.organization if membership else None


def partner_organization_id(user: User) -> int | None:
    return Membership.objects.filter(user=user).values_list("organization_id", flat=True).first()


def proposals_for_partner(user: User) -> QuerySet[Proposal]:
    org_id = partner_organization_id(user)
    if org_id is None:
        return Proposal.objects.none()
    return (
        Proposal.objects.filter(organization_id=org_id)
        .select_related("issue__ward", "issue__field", "resource")
        .order_by("-created_at")
    )


def proposals_for_staff(user: User) -> QuerySet[Proposal]:
    qs = Proposal.objects.select_related("issue__ward", "organization", "resource")
    if user.role in (Role.COORDINATOR, Role.APPROVER) and user.ward_id:
        qs = qs.filter(Q(issue__ward_id=user.ward_id) | Q(issue__ward__isnull=True))
    return qs.order_by("-created_at")


def latest_runs(limit: int = 10) -> list[MatchRun]:
    return list(MatchRun.objects.select_related("issue", "started_by")[:limit])


def engine_status() -> dict[str, Any]:
    version = (
        EngineVersion.objects.defer("index_blob", "vectors_blob", "suggester_blob")
        .order_by("-created_at", "-pk")
        .first()
    )
    validation = (version.validation if version else {}) or {}
    metrics = []
    for key, label in (("mrr", "MRR"), ("p_at_5", "P@5"), ("ndcg_at_10", "nDCG@10")):
        metrics.append(
            {
                "label": label,
                "baseline": (validation.get("baseline") or {}).get(key),
                "learned": (validation.get("learned") or {}).get(key),
            }
        )
    coefficients = (version.ranker or {}).get("coefficients") if version else None
    return {
        "version": version,
        "validation": validation,
        "metrics": metrics,
        "groups": (validation.get("baseline") or {}).get("groups"),
        "use_learned": bool(validation.get("use_learned")) and bool(coefficients),
        "coefficients": [
            {"label": feature_label(name), "value": (coefficients or {}).get(name)}
            for name in FEATURES
        ]
        if coefficients
        else [],
        "decision_count": Decision.objects.count(),
        "suggestions": suggestion_rows(version.suggester_report if version else {}),
        "suggest_min": MIN_RECORDS,
        "suggest_features": suggestion_features(version.suggester_report if version else {}),
    }


# The held-out figures of a suggestion target, stored as fractions, shown as percentages.
FIGURES = ("top1", "top3", "precision_at_3", "recall_at_3", "majority_top1")


def suggestion_features(report: dict[str, Any]) -> str:
    """What the suggester reads (matching.engine.suggest.suggester_train's "features"): TFIDF,
    an embedder's name, or "" before any build. Reports older than the field were TF-IDF."""
    return report.get("features", TFIDF) if report.get("targets") else ""


def suggestion_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine screen's rows for metadata suggestions, one per target, in TARGETS order.

    Each row: the stored figures (matching.engine.suggest.suggester_train), fractions turned
    into percentages rounded half up to 0.1, plus "record" (課題 / リソース), "label" and
    "why_off" (a sentence, or "" when the target suggests).
    """
    stored = {(row["kind"], row["name"]): row for row in report.get("targets", [])}
    rows = []
    for target in TARGETS:
        row = dict(stored.get((target.kind, target.name), {"records": 0, "enabled": False}))
        if row.get("enabled"):
            why_off = ""
        elif row.get("reason") == "one_value":
            why_off = _("確定した記録の値が1種類だけで、選び分けを学べません。")
        else:
            why_off = _("確定した記録が%(n)d件で、%(min)d件に足りません。") % {
                "n": row.get("records", 0),
                "min": MIN_RECORDS,
            }
        for key in FIGURES:
            if key in row:
                row[key] = percent(row[key], 1)
        row.update(
            record=_("課題") if target.kind == "issue" else _("リソース"),
            label=target.label,
            why_off=why_off,
        )
        rows.append(row)
    return rows


def fairness_figures(*, kind: str = ExposureLog.Kind.PROPOSED) -> dict[str, Any]:
    """Exposure per organisation, organisation type, size and ward, and the top 10 % share.

    `rows`: the 50 most exposed organisations; `groups`: dimension ("org_type", "size", "ward")
    → [{"key", "label", "total", "percent", "organizations"}] most exposed first. Percentages
    are of all exposure of this kind, rounded half up (portal.rounding.percent). The top 10 %
    share: the most exposed ceil(10 % of approved organisations) organisations' share.
    Two queries, whatever the number of rows.
    """
    # Plain dicts to us: a "percent" key is added below (the stubs type the rows as TypedDicts).
    rows = cast(
        "list[dict[str, Any]]",
        list(
            ExposureLog.objects.filter(kind=kind)
            .values(
                "organization_id",
                "organization__name",
                "organization__org_type",
                "organization__size",
                "organization__ward__code",
                "organization__ward__name_ja",
                "organization__ward__name_en",
            )
            .annotate(total=Sum("count"))
            .order_by("-total", "organization__name")
        ),
    )
    total = sum(row["total"] for row in rows)
    n_orgs = Organization.objects.filter(status="approved").count()
    top_n = max(1, math.ceil(0.1 * max(n_orgs, len(rows)))) if rows else 0
    top_total = sum(row["total"] for row in rows[:top_n])
    share = percent(top_total, total)
    for row in rows:
        row["percent"] = percent(row["total"], total) or 0
    return {
        "rows": rows[:50],
        "groups": {dimension: _exposure_groups(rows, dimension, total) for dimension in GROUPS},
        "total": total,
        "organizations": n_orgs,
        "exposed": len(rows),
        "top_n": top_n,
        "top_share": share,
        "concentrated": share is not None and share >= 50,
    }


GROUPS = ("org_type", "size", "ward")


def _group_of(row: dict[str, Any], dimension: str) -> tuple[str, str]:
    """(key, label in the active language) of an organisation's row in a dimension."""
    if dimension == "org_type":
        value = row["organization__org_type"]
        return value, str(dict(OrgType.choices).get(value, value))
    if dimension == "size":
        value = row["organization__size"]
        return value, str(dict(OrgSize.choices).get(value, value)) if value else _("規模未登録")
    code = row["organization__ward__code"]
    if not code:
        return "", _("所在区なし（区外・未登録）")
    name = row["organization__ward__name_en"] if english() else ""
    return code, name or row["organization__ward__name_ja"]


def _exposure_groups(rows: list[dict[str, Any]], dimension: str, total: int) -> list[dict]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key, label = _group_of(row, dimension)
        group = groups.setdefault(key, {"key": key, "label": label, "total": 0, "organizations": 0})
        group["total"] += row["total"]
        group["organizations"] += 1
    for group in groups.values():
        group["percent"] = percent(group["total"], total) or 0
    return sorted(groups.values(), key=lambda g: (-g["total"], g["key"]))


def fairness_breakdown(proposed: dict[str, Any], shown: dict[str, Any]) -> list[dict[str, Any]]:
    """The fairness screen's tables: per dimension, each group's proposals and shown places
    side by side ({"dimension", "title", "rows": [{"label", "proposed", "shown"}]}), a group
    being a dict of fairness_figures' `groups` or None where it has none of that kind."""
    titles = {
        "org_type": _("団体の種別"),
        "size": _("団体の規模"),
        "ward": _("団体の所在区"),
    }
    tables = []
    for dimension in GROUPS:
        by_key: dict[str, dict[str, Any]] = {}
        for name, figures in (("proposed", proposed), ("shown", shown)):
            for group in figures["groups"][dimension]:
                entry = by_key.setdefault(
                    group["key"], {"label": group["label"], "proposed": None, "shown": None}
                )
                entry[name] = group
        tables.append(
            {"dimension": dimension, "title": titles[dimension], "rows": list(by_key.values())}
        )
    return tables


def cap_effect_last() -> dict[str, Any] | None:
    """The last finished run's exposure cap effect (MatchRun.cap_effect, {} when the cap was
    off), None before any run finished. One query."""
    run = (
        MatchRun.objects.filter(status=MatchRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .only("pk", "finished_at", "cap_effect")
        .first()
    )
    if run is None:
        return None
    return {"run": run, "effect": run.cap_effect}


def sdg_label(goal: int) -> str:
    return str(dict(SDG_GOALS).get(goal, goal))


# ------------------------------------------------------------------------ dashboard cards


def card_coordinator(user: User) -> dict[str, Any]:
    qs = Candidate.objects.filter(current=True, verdict="", rank__lte=5)
    if user.ward_id:
        qs = qs.filter(Q(issue__ward_id=user.ward_id) | Q(issue__ward__isnull=True))
    return {
        "waiting": qs.count(),
        "issues": qs.values("issue_id").distinct().count(),
        "offers": partner_proposals_waiting(user).filter(verdict="").count(),
    }


def card_approver(user: User) -> dict[str, Any]:
    offers = partner_proposals_waiting(user).filter(verdict=Decision.Verdict.REQUESTED)
    return {"pending": pending_approvals(user).count() + offers.count()}


def card_partner(user: User) -> dict[str, Any]:
    qs = proposals_for_partner(user).filter(status=Proposal.Status.SENT)
    return {"waiting": qs.count(), "next": qs.order_by("deadline").first()}
