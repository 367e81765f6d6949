"""Geometry of Tokyo's 23 special wards, in pure Python (no Django, no GIS libraries).

The boundaries come from ``portal/data/tokyo23.geojson`` (国土数値情報 行政区域データ, simplified
to 1 %; see ``portal/data/README.md`` for source, terms and the credit line the map must show).

- :func:`load_ward_shapes` reads the rings of every ward, keyed by 5-digit ward code.
- :func:`ward_svg_paths` and :func:`ward_label_points` draw them into an SVG viewbox.
- :func:`compute_adjacency` finds which wards share a border; its result is committed as
  ``portal/data/ward_adjacency.json`` (regenerate with ``python -m portal.geo``) and read back by
  :func:`load_adjacency`.
- :func:`choropleth_classes` buckets per-ward values into equal-interval colour classes.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_GEOJSON = DATA_DIR / "tokyo23.geojson"
DEFAULT_ADJACENCY = DATA_DIR / "ward_adjacency.json"

#: Default SVG canvas and the blank border kept around the map, in SVG units.
SVG_WIDTH = 640
SVG_HEIGHT = 560
SVG_MARGIN = 12

#: Default distance (metres) within which two ward boundaries count as touching. In the shipped
#: data every real neighbour pair comes out at 0 m (the simplification kept shared vertices) and
#: the closest non-neighbours are 86 m (港区–目黒区) and 156 m (新宿区–練馬区) apart, so any value
#: from a few metres to ~80 m gives the same graph; 30 m sits safely in that gap and still absorbs
#: the drift of a boundary file simplified without shared topology.
ADJACENCY_TOLERANCE_M = 30.0

_EARTH_RADIUS_M = 6_371_008.8

Point = tuple[float, float]
Ring = list[Point]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@functools.cache
def load_ward_shapes(path: Path = DEFAULT_GEOJSON) -> dict[str, list[list[tuple[float, float]]]]:
    """Return ward code (``"13101"``…``"13123"``) → list of rings of ``(lon, lat)`` points.

    Every ring of every polygon (outer rings and holes alike) is listed; rings are open (the
    closing vertex that repeats the first one is dropped). The result is cached and shared:
    treat it as read-only.
    """
    with Path(path).open(encoding="utf-8") as fh:
        collection = json.load(fh)

    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    for feature in collection["features"]:
        code = str(feature["properties"]["N03_007"]).strip()
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise ValueError(f"ward {code}: unsupported geometry type {geometry['type']!r}")
        rings = shapes.setdefault(code, [])
        for polygon in polygons:
            for raw_ring in polygon:
                ring = [(float(pt[0]), float(pt[1])) for pt in raw_ring]
                if len(ring) > 1 and ring[0] == ring[-1]:
                    ring.pop()
                if len(ring) >= 3:
                    rings.append(ring)
    return dict(sorted(shapes.items()))


def _all_points(shapes: dict[str, list[Ring]]) -> Iterable[Point]:
    for rings in shapes.values():
        for ring in rings:
            yield from ring


# --------------------------------------------------------------------------------------------
# SVG rendering
# --------------------------------------------------------------------------------------------


class _SvgProjection:
    """Equirectangular lon/lat → SVG projection fitted into a ``width`` × ``height`` viewbox.

    Longitudes are scaled by cos(central latitude) so that, around Tokyo, one unit east equals
    one unit north and the wards keep their shape. The map is centred, keeps its aspect ratio,
    leaves ``margin`` units free on every side, and has y pointing down (north up).
    """

    def __init__(self, points: Iterable[Point], width: float, height: float, margin: float):
        lons, lats = zip(*points, strict=True)
        min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
        self.kx = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = (max_lon - min_lon) * self.kx
        span_y = max_lat - min_lat
        inner_w, inner_h = width - 2 * margin, height - 2 * margin
        if inner_w <= 0 or inner_h <= 0:
            raise ValueError("the margin leaves no room for the map")
        self.scale = min(inner_w / span_x, inner_h / span_y)
        self.min_lon, self.max_lat = min_lon, max_lat
        self.x0 = (width - span_x * self.scale) / 2
        self.y0 = (height - span_y * self.scale) / 2

    def __call__(self, lon: float, lat: float) -> Point:
        x = self.x0 + (lon - self.min_lon) * self.kx * self.scale
        y = self.y0 + (self.max_lat - lat) * self.scale
        return x, y


@functools.cache
def _projected_shapes(
    width: int, height: int, margin: int
) -> dict[str, tuple[tuple[Point, ...], ...]]:
    shapes = load_ward_shapes()
    project = _SvgProjection(_all_points(shapes), width, height, margin)
    return {
        code: tuple(tuple(project(lon, lat) for lon, lat in ring) for ring in rings)
        for code, rings in shapes.items()
    }


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _ring_path(ring: Sequence[Point]) -> str:
    coords: list[str] = []
    for x, y in ring:
        pair = f"{_fmt(x)},{_fmt(y)}"
        if not coords or coords[-1] != pair:
            coords.append(pair)
    if len(coords) > 1 and coords[0] == coords[-1]:
        coords.pop()
    if len(coords) < 3:
        return ""  # collapsed to (almost) a point at this scale: nothing worth drawing
    return "M" + "L".join(coords) + "Z"


def ward_svg_paths(
    *, width: int = SVG_WIDTH, height: int = SVG_HEIGHT, margin: int = SVG_MARGIN
) -> dict[str, str]:
    """Return ward code → SVG path ``d`` string, all wards fitted into ``0 0 width height``.

    Coordinates are rounded to 0.1 unit. Each ring is a closed subpath (``M…L…Z``); draw with
    ``fill-rule="evenodd"`` so that holes, should the data ever have some, stay empty.
    """
    return {
        code: "".join(_ring_path(ring) for ring in rings)
        for code, rings in _projected_shapes(width, height, margin).items()
    }


def _ring_area_centroid(ring: Sequence[Point]) -> tuple[float, Point]:
    """Signed area and area-weighted centroid of a simple polygon (shoelace formula)."""
    twice_area = cx = cy = 0.0
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        cross = x1 * y2 - x2 * y1
        twice_area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if twice_area == 0:
        xs, ys = zip(*ring, strict=True)
        return 0.0, (sum(xs) / n, sum(ys) / n)
    return twice_area / 2, (cx / (3 * twice_area), cy / (3 * twice_area))


def _point_in_ring(x: float, y: float, ring: Sequence[Point]) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _interior_point(ring: Sequence[Point], centroid: Point) -> Point:
    """A point inside ``ring``: the centroid when it falls inside, else the middle of the widest
    inner span of the horizontal line through the centroid (a concave ring can put its centroid
    outside itself)."""
    cx, cy = centroid
    if _point_in_ring(cx, cy, ring):
        return centroid
    ys = sorted({y for _, y in ring})
    # A scan line exactly through a vertex is ambiguous: nudge it between two vertex heights.
    candidates = [cy] + [(a + b) / 2 for a, b in itertools.pairwise(ys)]
    candidates.sort(key=lambda y: abs(y - cy))
    for y in candidates:
        if y in ys:
            continue
        crossings: list[float] = []
        n = len(ring)
        for i in range(n):
            x1, y1 = ring[i]
            x2, y2 = ring[(i + 1) % n]
            if (y1 > y) != (y2 > y):
                crossings.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
        crossings.sort()
        spans = list(zip(crossings[0::2], crossings[1::2], strict=False))
        if spans:
            left, right = max(spans, key=lambda span: span[1] - span[0])
            return (left + right) / 2, y
    return centroid  # degenerate ring: nothing better to offer


def ward_label_points(
    *, width: int = SVG_WIDTH, height: int = SVG_HEIGHT, margin: int = SVG_MARGIN
) -> dict[str, tuple[float, float]]:
    """Return ward code → ``(x, y)`` in the same viewbox as :func:`ward_svg_paths`, a point
    inside the ward where its label goes.

    It is the area-weighted centroid of the ward's largest ring (so the main body, not an
    island), moved onto the ring's widest inner span if the centroid falls outside a concave
    ring. Rounded to 0.1 unit.
    """
    points: dict[str, tuple[float, float]] = {}
    for code, rings in _projected_shapes(width, height, margin).items():
        largest = max(rings, key=lambda ring: abs(_ring_area_centroid(ring)[0]))
        x, y = _interior_point(largest, _ring_area_centroid(largest)[1])
        points[code] = (round(x, 1), round(y, 1))
    return points


# --------------------------------------------------------------------------------------------
# Adjacency
# --------------------------------------------------------------------------------------------

_Segment = tuple[float, float, float, float]
_BBox = tuple[float, float, float, float]


def _metric_projection(shapes: dict[str, list[Ring]]) -> Callable[[float, float], Point]:
    """Local equirectangular projection to metres around the centre of all wards (the error
    over the ~40 km of the 23 wards is far below the tolerance)."""
    lons, lats = zip(*_all_points(shapes), strict=True)
    lon0 = (min(lons) + max(lons)) / 2
    lat0 = (min(lats) + max(lats)) / 2
    ky = math.radians(1) * _EARTH_RADIUS_M
    kx = ky * math.cos(math.radians(lat0))

    def project(lon: float, lat: float) -> Point:
        return (lon - lon0) * kx, (lat - lat0) * ky

    return project


def _bbox(points: Iterable[Point]) -> _BBox:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _bboxes_overlap(a: _BBox, b: _BBox, pad: float) -> bool:
    return a[0] - pad <= b[2] and b[0] - pad <= a[2] and a[1] - pad <= b[3] and b[1] - pad <= a[3]


def _point_segment_distance_sq(px: float, py: float, seg: _Segment) -> float:
    x1, y1, x2, y2 = seg
    dx, dy = x2 - x1, y2 - y1
    length_sq = dx * dx + dy * dy
    t = 0.0 if length_sq == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length_sq))
    ex, ey = x1 + t * dx - px, y1 + t * dy - py
    return ex * ex + ey * ey


class _WardOutline:
    def __init__(self, rings: list[list[Point]]):
        self.vertices = [pt for ring in rings for pt in ring]
        self.segments: list[tuple[_Segment, _BBox]] = []
        for ring in rings:
            for i, (x1, y1) in enumerate(ring):
                x2, y2 = ring[(i + 1) % len(ring)]
                bbox = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                self.segments.append(((x1, y1, x2, y2), bbox))
        self.bbox = _bbox(self.vertices)

    def min_distance_to(self, other: _WardOutline, limit: float) -> float:
        """Smallest distance from a vertex of ``self`` to a segment of ``other``, considering only
        pairs closer than ``limit`` (returns ``math.inf`` when none is)."""
        best_sq = limit * limit
        found = False
        segments = [
            (seg, box) for seg, box in other.segments if _bboxes_overlap(box, self.bbox, limit)
        ]
        for px, py in self.vertices:
            if not _bboxes_overlap((px, py, px, py), other.bbox, limit):
                continue
            for seg, (x_lo, y_lo, x_hi, y_hi) in segments:
                if px < x_lo - limit or px > x_hi + limit or py < y_lo - limit or py > y_hi + limit:
                    continue
                d_sq = _point_segment_distance_sq(px, py, seg)
                if d_sq <= best_sq:
                    best_sq, found = d_sq, True
        return math.sqrt(best_sq) if found else math.inf


def _ward_outlines(path: Path) -> dict[str, _WardOutline]:
    shapes = load_ward_shapes(path)
    project = _metric_projection(shapes)
    return {
        code: _WardOutline([[project(lon, lat) for lon, lat in ring] for ring in rings])
        for code, rings in shapes.items()
    }


def boundary_gaps(
    *, limit_m: float = 1000.0, path: Path = DEFAULT_GEOJSON
) -> dict[tuple[str, str], float]:
    """Return ``(code_a, code_b)`` (``code_a < code_b``) → smallest vertex-to-boundary distance
    in metres between the two wards, for every pair closer than ``limit_m``.

    A diagnostic for choosing the adjacency tolerance: true neighbours sit at (nearly) zero,
    wards that merely face each other across a river mouth or a canal sit hundreds of metres
    apart.
    """
    outlines = _ward_outlines(path)
    codes = sorted(outlines)
    gaps: dict[tuple[str, str], float] = {}
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            oa, ob = outlines[a], outlines[b]
            if not _bboxes_overlap(oa.bbox, ob.bbox, limit_m):
                continue
            gap = min(oa.min_distance_to(ob, limit_m), ob.min_distance_to(oa, limit_m))
            if gap < math.inf:
                gaps[(a, b)] = gap
    return gaps


def compute_adjacency(
    *, tolerance_m: float = ADJACENCY_TOLERANCE_M, path: Path = DEFAULT_GEOJSON
) -> dict[str, list[str]]:
    """Return ward code → sorted codes of the wards it shares a border with (symmetric).

    Each ward's boundary was simplified on its own, so neighbours do not share exact vertices.
    Two wards count as adjacent when a vertex of either lies within ``tolerance_m`` metres of a
    segment of the other, measured in a local metric projection; ward and segment bounding
    boxes prune the search. Every ward is a key, even one without neighbours.
    """
    if tolerance_m < 0:
        raise ValueError("tolerance_m must not be negative")
    gaps = boundary_gaps(limit_m=tolerance_m, path=path)
    adjacency: dict[str, set[str]] = {code: set() for code in load_ward_shapes(path)}
    for (a, b), gap in gaps.items():
        if gap <= tolerance_m:
            adjacency[a].add(b)
            adjacency[b].add(a)
    return {code: sorted(neighbours) for code, neighbours in sorted(adjacency.items())}


def adjacency_json(adjacency: dict[str, list[str]]) -> str:
    """Serialise an adjacency mapping the way ``ward_adjacency.json`` is stored."""
    normalised = {code: sorted(adjacency[code]) for code in sorted(adjacency)}
    return json.dumps(normalised, indent=2, sort_keys=True) + "\n"


@functools.cache
def load_adjacency(path: Path = DEFAULT_ADJACENCY) -> dict[str, frozenset[str]]:
    """Return ward code → codes of its neighbours, read from the committed JSON (cached)."""
    with Path(path).open(encoding="utf-8") as fh:
        raw = json.load(fh)
    return {str(code): frozenset(map(str, neighbours)) for code, neighbours in raw.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate ``portal/data/ward_adjacency.json`` from the boundaries."""
    del argv  # no options: the committed file always uses the defaults
    text = adjacency_json(compute_adjacency())
    DEFAULT_ADJACENCY.write_text(text, encoding="utf-8")
    load_adjacency.cache_clear()
    print(f"wrote {DEFAULT_ADJACENCY}")
    return 0


# --------------------------------------------------------------------------------------------
# Choropleth
# --------------------------------------------------------------------------------------------


def choropleth_classes(values: dict[str, float], *, classes: int = 5) -> dict[str, int]:
    """Bucket per-ward values into ``classes`` equal-interval classes ``0 … classes - 1``.

    The range ``[0, max]`` is cut into ``classes`` equal intervals; class ``k`` holds values in
    ``[k·max/classes, (k+1)·max/classes)`` and the maximum itself is in the top class. Zero (and
    any negative or NaN value) is class 0. When every value is zero the result is all 0s; when
    every value is the same positive number they all land in the top class. An empty mapping
    gives an empty result.
    """
    if classes < 1:
        raise ValueError("classes must be at least 1")
    positives = [v for v in values.values() if v > 0]
    top = max(positives, default=0.0)
    if not math.isfinite(top):
        raise ValueError("values must be finite")
    result: dict[str, int] = {}
    for code, value in values.items():
        if top <= 0 or not value > 0:  # `not >` also catches NaN
            result[code] = 0
        else:
            result[code] = min(classes - 1, int(value * classes / top))
    return result


if __name__ == "__main__":
    raise SystemExit(main())
