"""Matching rules: the hard filters and soft signals, computed for whole blocks of pairs at once.

Hard filters (a pair that fails one is never a candidate):
  * ward      — the resource serves the issue's ward, or all wards (an issue without a ward
                accepts any resource; a resource that serves no ward at all matches nothing);
  * period    — the resource's availability overlaps the issue's desired period (open ends
                count as unlimited);
  * organisation approved and not suspended, resource active;
  * capacity  — capacity minus projects in preparation or running that use the resource > 0.

Soft signals (features, each 0…1, named in FEATURES):
  * text          — TF-IDF cosine of the issue and resource texts, divided by the issue's best
                    cosine (portal.textengine.fusion.text_features);
  * semantic      — embedding similarity of the two texts, min-max scaled over the issue's
                    resources (0 when no embedder is installed);
  * field         — +0.5 when the issue's field is one of the resource's fields, -0.5 when the
                    resource names other fields only, 0 when either side has no field: missing
                    metadata is unknown, neither boosted nor penalised (a match still beats a
                    mismatch by the field weight, as before);
  * sdg           — share of the issue's SDGs that the resource also names;
  * kind          — the resource kind is one the issue asks for;
  * same_ward     — the organisation is located in the issue's ward;
  * adjacent_ward — the organisation is located in a ward adjacent to it;
  * track_record  — completed projects of the organisation in the issue's field (3+ = 1).

The score is a weighted sum of the features: hand weights from MatchingSettings, or the learned
ranker's coefficients when it beat them on held-out decisions. Every candidate keeps the values,
each weight's contribution and the rules that fired, so staff can read why it was ranked.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count

from issues.models import Issue
from partners.models import OrgStatus, Resource, ResourceStatus
from portal.choices import ResourceKind
from portal.geo import load_adjacency
from portal.models import Field, Ward

FEATURES = [
    "text",
    "semantic",
    "field",
    "sdg",
    "kind",
    "same_ward",
    "adjacent_ward",
    "track_record",
]
# text and semantic are each 0…1 relative to the issue's best match (portal.textengine.fusion),
# so the rule weights are shares of a full text match. Chosen on the dev half of
# benchmarks/devset: 0.3 / 0.7 fusion; field 0.15 and kind 0.3 put hybrid + rules above hybrid
# alone (dev MRR 0.794 vs 0.786) where the old field weight on the cosine scale fell to 0.405;
# on the demo labels (field + kind agreement, benchmarks/quality_demo.py) MRR 0.805 vs 0.828.
# Without an embedder, semantic's weight goes to text (text_weights).
DEFAULT_WEIGHTS = {
    "text": 0.3,
    "semantic": 0.7,
    "field": 0.15,
    "sdg": 0.1,
    "kind": 0.3,
    "same_ward": 0.1,
    "adjacent_ward": 0.05,
    "track_record": 0.1,
}
TRACK_RECORD_FULL = 3  # completed projects in the field that count as a full track record
KINDS = list(ResourceKind.values)
_NO_START = -(10**7)
_NO_END = 10**7
# Issues scored together: at 100k resources each block array is 51 MB (float32), and the
# embeddings' transpose (153 MB) is read once per block, so fewer rows would read it more often.
BLOCK_ROWS = 128


def resource_document(
    *, title: str, description: str, field_names: list[str], csr_policy: str, research: str
) -> str:
    return "\n".join(
        part for part in (title, description, " ".join(field_names), csr_policy, research) if part
    )


def _day(value: datetime.date | None, default: int) -> int:
    return value.toordinal() if value else default


@dataclass
class Lookups:
    """Small reference tables shared by all blocks: wards, fields, adjacency."""

    ward_codes: list[str]
    ward_names: dict[str, str]
    field_ids: list[int]
    field_names: dict[int, str]
    adjacency: np.ndarray  # (23, 23) bool

    @classmethod
    def load(cls) -> Lookups:
        wards = list(Ward.objects.order_by("code").values_list("code", "name_ja"))
        codes = [code for code, _ in wards]
        position = {code: i for i, code in enumerate(codes)}
        adjacency = np.zeros((len(codes), len(codes)), dtype=bool)
        for code, neighbours in load_adjacency().items():
            for other in neighbours:
                if code in position and other in position:
                    adjacency[position[code], position[other]] = True
        fields = list(Field.objects.values_list("id", "name"))
        return cls(
            ward_codes=codes,
            ward_names=dict(wards),
            field_ids=[pk for pk, _ in fields],
            field_names=dict(fields),
            adjacency=adjacency,
        )

    def ward_index(self, code: str | None) -> int:
        try:
            return self.ward_codes.index(code) if code else -1
        except ValueError:
            return -1

    def field_index(self, field_id: int | None) -> int:
        try:
            return self.field_ids.index(field_id) if field_id else -1
        except ValueError:
            return -1


@dataclass
class ResourceTable:
    """The resources that pass the per-resource filters, as column arrays.

    The rule tables have one row per issue field, ward, resource kind or goal and one column per
    resource, so a block of issues gets its rule features by gathering rows and one matrix
    product (rule_score_block) instead of a value computed per pair: at 100k resources a block
    of 128 issues is 12.8 million pairs.
    """

    ids: np.ndarray
    org_ids: np.ndarray
    field_sets: list[set[int]]
    kind: np.ndarray  # (n,) int index in KINDS, -1 unknown
    all_wards: np.ndarray  # (n,) bool
    org_ward: np.ndarray  # (n,) int, -1 unknown
    avail_from: np.ndarray
    avail_until: np.ndarray
    capacity_left: np.ndarray
    field_value: np.ndarray  # (n_fields, n) float32: the field feature for an issue of that field
    field_match: np.ndarray  # (n_fields, n) bool: the resource names that field
    track_count: np.ndarray  # (n_fields, n) completed projects of the organisation per field
    same_ward: np.ndarray  # (n_wards, n) float32: the organisation is located in that ward
    adjacent_ward: np.ndarray  # (n_wards, n) float32: ... in a ward adjacent to it
    served: np.ndarray  # (n_wards, n) bool: the resource serves that ward (or all wards)
    kind_rows: np.ndarray  # (len(KINDS), n) float32: one-hot of the resource kind
    sdgs: np.ndarray  # (17, n) float32
    sdg_lists: list[list[int]] = field(default_factory=list)
    _weighted: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def weighted_rows(self, coefficients: dict[str, float]) -> np.ndarray:
        """(n_fields + n_wards + len(KINDS) + 17, n) float32: the rule tables times their
        weights, stacked in the order of issue_indicators' columns (cached per weights)."""
        key = tuple(float(coefficients.get(name, 0.0)) for name in FEATURES)
        rows = self._weighted.get(key)
        if rows is None:
            w = dict(zip(FEATURES, key, strict=True))
            track = np.minimum(self.track_count, TRACK_RECORD_FULL) / TRACK_RECORD_FULL
            rows = np.ascontiguousarray(
                np.vstack(
                    [
                        w["field"] * self.field_value + w["track_record"] * track,
                        w["same_ward"] * self.same_ward + w["adjacent_ward"] * self.adjacent_ward,
                        w["kind"] * self.kind_rows,
                        w["sdg"] * self.sdgs,
                    ]
                ),
                dtype=np.float32,
            )
            self._weighted.clear()  # one set of weights in use at a time
            self._weighted[key] = rows
        return rows


def running_projects_per_resource() -> dict[int, int]:
    from matching.projects.models import PROJECT_LIVE, Project

    return dict(
        Project.objects.filter(resource__isnull=False, status__in=PROJECT_LIVE)
        .values("resource_id")
        .annotate(n=Count("id"))
        .values_list("resource_id", "n")
    )


def completed_projects_per_org_field() -> Counter[tuple[int, int]]:
    from matching.projects.models import Project

    rows = (
        Project.objects.filter(status=Project.Status.COMPLETED, field__isnull=False)
        .values_list("organizations__id", "field_id")
        .order_by()
    )
    return Counter((org, fld) for org, fld in rows if org is not None)


def _sdg_vector(values: Any) -> list[int]:
    out = []
    for value in values or []:
        try:
            goal = int(value)
        except (TypeError, ValueError):
            continue
        if 1 <= goal <= 17:
            out.append(goal)
    return sorted(set(out))


def load_resources(lookups: Lookups, resource_ids: list[int] | None = None) -> ResourceTable:
    """Eligible resources: active, of an approved organisation, with capacity left.

    With `resource_ids`: exactly those resources, whatever their state (the features of pairs
    staff judge that the hard filters might not have let through, such as a partner's offer).
    """
    if resource_ids is None:
        chosen = Resource.objects.filter(
            status=ResourceStatus.ACTIVE, organization__status=OrgStatus.APPROVED
        )
    else:
        chosen = Resource.objects.filter(pk__in=resource_ids)
    rows = list(
        chosen.order_by("pk").values_list(
            "pk",
            "organization_id",
            "kind",
            "sdgs",
            "serves_all_wards",
            "available_from",
            "available_until",
            "capacity",
            "organization__ward__code",
        )
    )
    running = running_projects_per_resource()
    if resource_ids is None:
        rows = [row for row in rows if row[7] - running.get(row[0], 0) > 0]
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    position = {pk: i for i, pk in enumerate(ids.tolist())}
    n, n_fields = len(rows), len(lookups.field_ids)
    field_sets: list[set[int]] = [set() for _ in range(n)]
    fields = np.zeros((n, n_fields), dtype=bool)
    field_pos = {pk: i for i, pk in enumerate(lookups.field_ids)}
    field_links = Resource.fields.through.objects.all()
    ward_links = Resource.wards.through.objects.all()
    if resource_ids is not None:
        field_links = field_links.filter(resource_id__in=resource_ids)
        ward_links = ward_links.filter(resource_id__in=resource_ids)
    for resource_id, field_id in field_links.values_list("resource_id", "field_id"):
        i = position.get(resource_id)
        if i is not None and field_id in field_pos:
            fields[i, field_pos[field_id]] = True
            field_sets[i].add(field_id)
    wards = np.zeros((n, len(lookups.ward_codes)), dtype=bool)
    ward_pos = {code: i for i, code in enumerate(lookups.ward_codes)}
    for resource_id, code in ward_links.values_list("resource_id", "ward__code"):
        i = position.get(resource_id)
        if i is not None and code in ward_pos:
            wards[i, ward_pos[code]] = True
    sdgs = np.zeros((n, 17), dtype=np.float32)
    sdg_lists = []
    for i, row in enumerate(rows):
        goals = _sdg_vector(row[3])
        sdg_lists.append(goals)
        for goal in goals:
            sdgs[i, goal - 1] = 1.0
    org_ids = np.array([row[1] for row in rows], dtype=np.int64)
    track = np.zeros((n, n_fields), dtype=np.float32)
    completed = completed_projects_per_org_field()
    if completed:
        org_rows: dict[int, list[int]] = {}
        for i, org in enumerate(org_ids.tolist()):
            org_rows.setdefault(org, []).append(i)
        for (org, fld), count in completed.items():
            if fld in field_pos:
                for i in org_rows.get(org, []):
                    track[i, field_pos[fld]] = count
    kind_pos = {kind: i for i, kind in enumerate(KINDS)}
    kind = np.array([kind_pos.get(row[2], -1) for row in rows], dtype=np.int64)
    all_wards = np.array([bool(row[4]) for row in rows], dtype=bool)
    org_ward = np.array([lookups.ward_index(row[8]) for row in rows], dtype=np.int64)
    # A resource that names no field is unknown on field (0), not a mismatch.
    has_fields = fields.any(axis=1)
    org_known = org_ward >= 0
    located = np.zeros((len(lookups.ward_codes), n), dtype=bool)
    located[org_ward[org_known], np.nonzero(org_known)[0]] = True
    kind_rows = np.zeros((len(KINDS), n), dtype=np.float32)
    kind_rows[kind[kind >= 0], np.nonzero(kind >= 0)[0]] = 1.0
    return ResourceTable(
        ids=ids,
        org_ids=org_ids,
        field_sets=field_sets,
        kind=kind,
        all_wards=all_wards,
        org_ward=org_ward,
        avail_from=np.array([_day(row[5], _NO_START) for row in rows], dtype=np.int64),
        avail_until=np.array([_day(row[6], _NO_END) for row in rows], dtype=np.int64),
        capacity_left=np.array([row[7] - running.get(row[0], 0) for row in rows]),
        field_value=np.where(has_fields[None, :], fields.T - 0.5, 0.0).astype(np.float32),
        field_match=np.ascontiguousarray(fields.T),
        track_count=np.ascontiguousarray(track.T),
        same_ward=located.astype(np.float32),
        adjacent_ward=(lookups.adjacency.astype(np.float32) @ located).astype(np.float32),
        served=np.ascontiguousarray(wards.T | all_wards[None, :]),
        kind_rows=kind_rows,
        sdgs=np.ascontiguousarray(sdgs.T),
        sdg_lists=sdg_lists,
    )


@dataclass
class IssueTable:
    ids: list[int]
    field_ids: list[int]
    field_idx: np.ndarray
    ward_idx: np.ndarray
    sdgs: np.ndarray  # (m, 17)
    sdg_lists: list[list[int]]
    kinds: np.ndarray  # (m, len(KINDS)) bool
    kind_lists: list[list[str]]
    start: np.ndarray
    end: np.ndarray
    has_period: list[bool]

    def __len__(self) -> int:
        return len(self.ids)


def load_issues(issue_ids: list[int], lookups: Lookups) -> IssueTable:
    rows = {
        row[0]: row
        for row in Issue.objects.filter(pk__in=issue_ids).values_list(
            "pk",
            "field_id",
            "ward__code",
            "sdgs",
            "desired_resource_kinds",
            "desired_start",
            "desired_end",
        )
    }
    ordered = [rows[pk] for pk in issue_ids if pk in rows]
    m = len(ordered)
    sdgs = np.zeros((m, 17), dtype=np.float32)
    kinds = np.zeros((m, len(KINDS)), dtype=bool)
    sdg_lists, kind_lists = [], []
    kind_pos = {kind: i for i, kind in enumerate(KINDS)}
    for i, row in enumerate(ordered):
        goals = _sdg_vector(row[3])
        sdg_lists.append(goals)
        for goal in goals:
            sdgs[i, goal - 1] = 1.0
        wanted = [k for k in (row[4] or []) if k in kind_pos]
        kind_lists.append(wanted)
        for kind in wanted:
            kinds[i, kind_pos[kind]] = True
    return IssueTable(
        ids=[row[0] for row in ordered],
        field_ids=[row[1] for row in ordered],
        field_idx=np.array([lookups.field_index(row[1]) for row in ordered], dtype=np.int64),
        ward_idx=np.array([lookups.ward_index(row[2]) for row in ordered], dtype=np.int64),
        sdgs=sdgs,
        sdg_lists=sdg_lists,
        kinds=kinds,
        kind_lists=kind_lists,
        start=np.array([_day(row[5], _NO_START) for row in ordered], dtype=np.int64),
        end=np.array([_day(row[6], _NO_END) for row in ordered], dtype=np.int64),
        has_period=[bool(row[5] or row[6]) for row in ordered],
    )


def hard_filter_mask(issues: IssueTable, resources: ResourceTable, rows: slice) -> np.ndarray:
    """(block, n_resources) bool: pairs allowed by the ward and period rules."""
    # An issue without a ward accepts any resource.
    allowed = _table_rows(resources.served, issues.ward_idx[rows], unknown=True)
    start, end = issues.start[rows], issues.end[rows]
    # Only issues with a desired period can be refused by it.
    for b in np.nonzero((start != _NO_START) | (end != _NO_END))[0]:
        allowed[b] &= (resources.avail_from <= end[b]) & (resources.avail_until >= start[b])
    return allowed


def issue_indicators(issues: IssueTable, rows: slice, resources: ResourceTable) -> np.ndarray:
    """(block, n_fields + n_wards + len(KINDS) + 17) float32: each issue's field and ward as
    one-hot columns, the kinds it asks for, and its SDGs divided by their count, so that these
    rows times ResourceTable.weighted_rows are the issues' weighted rule features."""
    n_fields, n_wards = resources.field_value.shape[0], resources.same_ward.shape[0]
    m = len(issues.field_idx[rows])
    out = np.zeros((m, n_fields + n_wards + len(KINDS) + 17), dtype=np.float32)
    block = np.arange(m)
    field_idx, ward_idx = issues.field_idx[rows], issues.ward_idx[rows]
    out[block[field_idx >= 0], field_idx[field_idx >= 0]] = 1.0
    out[block[ward_idx >= 0], n_fields + ward_idx[ward_idx >= 0]] = 1.0
    kinds_at = n_fields + n_wards
    out[:, kinds_at : kinds_at + len(KINDS)] = issues.kinds[rows]
    sdgs = issues.sdgs[rows]
    out[:, kinds_at + len(KINDS) :] = sdgs / np.maximum(sdgs.sum(axis=1, keepdims=True), 1.0)
    return out


def rule_score_block(
    issues: IssueTable, resources: ResourceTable, rows: slice, coefficients: dict[str, float]
) -> np.ndarray:
    """(block, n_resources) float32: the weighted sum of every rule feature (all FEATURES but
    text and semantic) of each pair, as one matrix product."""
    return issue_indicators(issues, rows, resources) @ resources.weighted_rows(coefficients)


def field_matches(issues: IssueTable, resources: ResourceTable, rows: slice) -> np.ndarray:
    """(block, n_resources) bool: the resource names the issue's field."""
    return _table_rows(resources.field_match, issues.field_idx[rows], unknown=False)


def _table_rows(table: np.ndarray, index: np.ndarray, *, unknown: bool) -> np.ndarray:
    """Rows `index` of a (values, n) bool rule table; `unknown` for an index of -1."""
    out = np.full((len(index), table.shape[1]), unknown, dtype=bool)
    known = index >= 0
    if known.any():
        out[known] = table[index[known]]
    return out


def rule_features(
    issues: IssueTable, resources: ResourceTable, i: np.ndarray, j: np.ndarray
) -> dict[str, np.ndarray]:
    """The rule features of the pairs (issue row i[p], resource column j[p]), each (pairs,)
    float32 and named as in FEATURES; the values rule_score_block weighs for the same pairs."""
    field_idx, ward_idx = issues.field_idx[i], issues.ward_idx[i]
    known_field, known_ward = field_idx >= 0, ward_idx >= 0
    fi, wi = np.maximum(field_idx, 0), np.maximum(ward_idx, 0)
    sdgs = issues.sdgs[i]
    shared_goals = np.einsum("pg,gp->p", sdgs, resources.sdgs[:, j])
    track = np.minimum(resources.track_count[fi, j], TRACK_RECORD_FULL) / TRACK_RECORD_FULL
    kind = resources.kind[j]
    features = {
        "field": np.where(known_field, resources.field_value[fi, j], 0.0),
        "sdg": shared_goals / np.maximum(sdgs.sum(axis=1), 1.0),
        "kind": np.where(kind >= 0, issues.kinds[i, np.maximum(kind, 0)], False),
        "same_ward": np.where(known_ward, resources.same_ward[wi, j], 0.0),
        "adjacent_ward": np.where(known_ward, resources.adjacent_ward[wi, j], 0.0),
        "track_record": np.where(known_field, track, 0.0),
    }
    return {name: value.astype(np.float32) for name, value in features.items()}


def text_weights(coefficients: dict[str, float], *, semantic: bool) -> dict[str, float]:
    """The weights to score with: without a semantic signal its weight counts for text, so the
    TF-IDF-only engine ranks as it did before the semantic signal existed."""
    if semantic:
        return dict(coefficients)
    weights = dict(coefficients)
    weights["text"] = weights.get("text", 0.0) + weights.pop("semantic", 0.0)
    weights["semantic"] = 0.0
    return weights


def rules_fired(
    *,
    issues: IssueTable,
    i: int,
    resources: ResourceTable,
    j: int,
    values: dict[str, float],
    lookups: Lookups,
) -> list[dict[str, Any]]:
    """The rules that let this pair through and the signals that raised it, as codes + params."""
    fired: list[dict[str, Any]] = []
    ward_i = int(issues.ward_idx[i])
    if ward_i < 0:
        fired.append({"code": "ward_any"})
    elif resources.all_wards[j]:
        fired.append({"code": "ward_all"})
    else:
        fired.append(
            {"code": "ward_served", "ward": lookups.ward_names[lookups.ward_codes[ward_i]]}
        )
    if issues.has_period[i]:
        fired.append({"code": "period"})
    fired.append({"code": "organization"})
    fired.append({"code": "capacity", "left": int(resources.capacity_left[j])})
    if values.get("field", 0) > 0:
        fired.append({"code": "field", "field": lookups.field_names.get(issues.field_ids[i], "")})
    elif issues.field_idx[i] >= 0 and not resources.field_sets[j]:
        fired.append({"code": "field_unknown"})
    if values.get("sdg"):
        shared = sorted(set(issues.sdg_lists[i]) & set(resources.sdg_lists[j]))
        fired.append({"code": "sdg", "goals": shared})
    if values.get("kind"):
        kind = KINDS[int(resources.kind[j])]
        fired.append({"code": "kind", "kind": str(ResourceKind(kind).label)})
    if values.get("same_ward"):
        fired.append({"code": "same_ward", "ward": lookups.ward_names[lookups.ward_codes[ward_i]]})
    if values.get("adjacent_ward"):
        org_ward = lookups.ward_codes[int(resources.org_ward[j])]
        fired.append({"code": "adjacent_ward", "ward": lookups.ward_names[org_ward]})
    if values.get("track_record"):
        count = int(resources.track_count[issues.field_idx[i], j])
        fired.append({"code": "track_record", "count": count})
    return fired
