"""Tests for portal.geo: ward shapes, SVG map, adjacency graph and choropleth classes.

Plain pytest: no database, no Django settings needed.
"""

import json
import math
import re

import pytest

from portal import geo

ALL_CODES = [str(code) for code in range(13101, 13124)]

# 千代田区 13101, 中央区 13102, 港区 13103, 新宿区 13104, 文京区 13105, 台東区 13106,
# 墨田区 13107, 江東区 13108, 品川区 13109, 目黒区 13110, 大田区 13111, 世田谷区 13112,
# 渋谷区 13113, 中野区 13114, 杉並区 13115, 豊島区 13116, 北区 13117, 荒川区 13118,
# 板橋区 13119, 練馬区 13120, 足立区 13121, 葛飾区 13122, 江戸川区 13123.
KNOWN_NEIGHBOURS = {
    "13101": {"13102", "13103", "13104", "13105", "13106"},  # 千代田区: 中央 港 新宿 文京 台東
    "13112": {"13110", "13111", "13113", "13115"},  # 世田谷区: 目黒 大田 渋谷 杉並
    # 江戸川区: 葛飾, 江東, and 墨田 across the 旧中川 (a ~2.9 km shared border in the data).
    "13123": {"13107", "13108", "13122"},
}
KNOWN_NON_NEIGHBOURS = [
    ("13101", "13112"),  # 千代田区–世田谷区
    ("13121", "13111"),  # 足立区–大田区
    ("13112", "13114"),  # 世田谷区–中野区 (杉並区 lies between)
    ("13103", "13110"),  # 港区–目黒区 (86 m apart: the closest non-neighbours)
    ("13104", "13120"),  # 新宿区–練馬区
    ("13106", "13117"),  # 台東区–北区
]

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def test_shapes_cover_the_23_wards():
    shapes = geo.load_ward_shapes()
    assert sorted(shapes) == ALL_CODES
    for code, rings in shapes.items():
        assert rings, code
        for ring in rings:
            assert len(ring) >= 3
            assert ring[0] != ring[-1]  # open rings
            for lon, lat in ring:
                assert 139.5 < lon < 140.0 and 35.4 < lat < 35.9, code


def test_load_ward_shapes_is_cached():
    assert geo.load_ward_shapes() is geo.load_ward_shapes()


def test_svg_paths_fit_the_viewbox():
    width, height = 640, 560
    paths = geo.ward_svg_paths(width=width, height=height)
    assert sorted(paths) == ALL_CODES
    for code, d in paths.items():
        assert d.startswith("M") and d.endswith("Z"), code
        numbers = [float(n) for n in _NUMBER.findall(d)]
        assert numbers and len(numbers) % 2 == 0, code
        xs, ys = numbers[0::2], numbers[1::2]
        assert all(0 <= x <= width for x in xs), code
        assert all(0 <= y <= height for y in ys), code
        # one decimal at most
        assert all(len(n.partition(".")[2]) <= 1 for n in _NUMBER.findall(d)), code


def test_svg_map_fills_the_viewbox_with_margin_and_keeps_its_shape():
    paths = geo.ward_svg_paths(width=640, height=560, margin=12)
    numbers = [float(n) for d in paths.values() for n in _NUMBER.findall(d)]
    xs, ys = numbers[0::2], numbers[1::2]
    # Relative to the 640×560 box the map is the taller, so it touches the top and bottom
    # margins and is centred horizontally.
    assert min(ys) == pytest.approx(12, abs=0.1)
    assert max(ys) == pytest.approx(548, abs=0.1)
    assert min(xs) > 12 and max(xs) < 628
    assert (min(xs) + max(xs)) / 2 == pytest.approx(320, abs=0.2)
    # North is up: 足立区 (north) is above 大田区 (south); 練馬区 (west) is left of 江戸川区 (east).
    labels = geo.ward_label_points()
    assert labels["13121"][1] < labels["13111"][1]
    assert labels["13120"][0] < labels["13123"][0]
    # Aspect ratio: longitudes are scaled by cos(central latitude), so the map is as wide, relative
    # to its height, as the wards are on the ground (an unscaled projection is ~23 % wider).
    lons = [lon for rings in geo.load_ward_shapes().values() for ring in rings for lon, _ in ring]
    lats = [lat for rings in geo.load_ward_shapes().values() for ring in rings for _, lat in ring]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    ground_aspect = (max(lons) - min(lons)) * k / (max(lats) - min(lats))
    aspect = (max(xs) - min(xs)) / (max(ys) - min(ys))
    assert aspect == pytest.approx(ground_aspect, rel=1e-3)
    assert aspect * 1.2 < ground_aspect / k


def test_svg_paths_follow_the_requested_size():
    small = geo.ward_svg_paths(width=200, height=100)
    numbers = [float(n) for d in small.values() for n in _NUMBER.findall(d)]
    assert max(numbers[0::2]) <= 200 and max(numbers[1::2]) <= 100


def test_label_points_lie_inside_the_viewbox_and_their_ward():
    width, height = 640, 560
    points = geo.ward_label_points(width=width, height=height)
    assert sorted(points) == ALL_CODES
    projected = geo._projected_shapes(width, height, geo.SVG_MARGIN)
    for code, (x, y) in points.items():
        assert 0 <= x <= width and 0 <= y <= height, code
        assert any(geo._point_in_ring(x, y, ring) for ring in projected[code]), code


def test_interior_point_falls_back_inside_a_concave_ring():
    # A "U": its centroid lies in the empty notch between the two arms.
    ring = [(0, 0), (10, 0), (10, 10), (7, 10), (7, 3), (3, 3), (3, 10), (0, 10)]
    _, centroid = geo._ring_area_centroid(ring)
    assert not geo._point_in_ring(*centroid, ring)
    x, y = geo._interior_point(ring, centroid)
    assert geo._point_in_ring(x, y, ring)


def test_adjacency_is_symmetric_and_complete():
    adjacency = geo.compute_adjacency()
    assert sorted(adjacency) == ALL_CODES
    for code, neighbours in adjacency.items():
        assert neighbours, code
        assert neighbours == sorted(neighbours)
        assert code not in neighbours
        for other in neighbours:
            assert code in adjacency[other], (code, other)


@pytest.mark.parametrize("code", sorted(KNOWN_NEIGHBOURS))
def test_adjacency_matches_known_borders(code):
    assert set(geo.compute_adjacency()[code]) == KNOWN_NEIGHBOURS[code]


@pytest.mark.parametrize(("a", "b"), KNOWN_NON_NEIGHBOURS)
def test_adjacency_excludes_known_non_pairs(a, b):
    adjacency = geo.compute_adjacency()
    assert b not in adjacency[a]
    assert a not in adjacency[b]


def test_adjacency_is_stable_around_the_default_tolerance():
    # The default sits well inside the gap between neighbours (0 m) and non-neighbours (≥ 86 m).
    reference = geo.compute_adjacency()
    assert geo.compute_adjacency(tolerance_m=5) == reference
    assert geo.compute_adjacency(tolerance_m=80) == reference
    assert geo.compute_adjacency(tolerance_m=200) != reference


def test_boundary_gaps_separate_neighbours_from_the_rest():
    gaps = geo.boundary_gaps(limit_m=500)
    adjacency = geo.compute_adjacency()
    for (a, b), gap in gaps.items():
        if b in adjacency[a]:
            assert gap <= geo.ADJACENCY_TOLERANCE_M
        else:
            assert gap > 2 * geo.ADJACENCY_TOLERANCE_M


def test_adjacency_json_on_disk_matches_compute_adjacency():
    computed = geo.compute_adjacency()
    text = geo.DEFAULT_ADJACENCY.read_text(encoding="utf-8")
    assert json.loads(text) == computed
    assert text == geo.adjacency_json(computed)  # same layout `python -m portal.geo` writes


def test_load_adjacency_reads_the_committed_graph():
    loaded = geo.load_adjacency()
    assert loaded is geo.load_adjacency()
    assert loaded == {code: frozenset(n) for code, n in geo.compute_adjacency().items()}
    assert loaded["13101"] == frozenset(KNOWN_NEIGHBOURS["13101"])


def test_compute_adjacency_rejects_negative_tolerance():
    with pytest.raises(ValueError):
        geo.compute_adjacency(tolerance_m=-1)


def test_choropleth_classes_equal_intervals():
    values = {"13101": 0, "13102": 10, "13103": 25, "13104": 50, "13105": 79.9, "13106": 100}
    assert geo.choropleth_classes(values) == {
        "13101": 0,
        "13102": 0,
        "13103": 1,
        "13104": 2,
        "13105": 3,
        "13106": 4,
    }
    assert geo.choropleth_classes(values, classes=2) == {
        "13101": 0,
        "13102": 0,
        "13103": 0,
        "13104": 1,
        "13105": 1,
        "13106": 1,
    }


def test_choropleth_classes_edge_cases():
    assert geo.choropleth_classes({}) == {}
    assert geo.choropleth_classes({"13101": 0, "13102": 0}) == {"13101": 0, "13102": 0}
    assert geo.choropleth_classes({"13101": 3, "13102": 3}) == {"13101": 4, "13102": 4}
    assert geo.choropleth_classes({"13101": 7}, classes=1) == {"13101": 0}
    assert geo.choropleth_classes({"13101": -2, "13102": math.nan, "13103": 1}) == {
        "13101": 0,
        "13102": 0,
        "13103": 4,
    }
    with pytest.raises(ValueError):
        geo.choropleth_classes({"13101": 1}, classes=0)
