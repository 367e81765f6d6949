"""The choropleth of issues per ward: an inline SVG built from portal.geo (no tiles, no network)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.geo import SVG_HEIGHT, SVG_WIDTH, choropleth_classes, ward_label_points, ward_svg_paths
from portal.models import Ward

CLASSES = 5


def _legend(counts: dict[str, int], classes: dict[str, int]) -> list[dict]:
    """One entry per class with the counts it actually covers (equal intervals of 0…max)."""
    top = max(counts.values(), default=0)
    legend = []
    for k in range(CLASSES):
        members = [n for n in range(top + 1) if _class_of(n, top) == k]
        if not members:
            continue
        low, high = members[0], members[-1]
        text = f"{low}" if low == high else f"{low}〜{high}"
        legend.append({"cls": k, "label": _("%(range)s件") % {"range": text}})
    return legend


def _class_of(n: int, top: int) -> int:
    if top <= 0 or n <= 0:
        return 0
    return min(CLASSES - 1, int(n * CLASSES / top))


def ward_map(*, counts: dict[str, int], url_for: Callable[[Ward], str]) -> dict:
    """Context for issues/_map.html: one entry per ward with its path, label, class and link."""
    paths = ward_svg_paths()
    labels = ward_label_points()
    classes = choropleth_classes({code: float(n) for code, n in counts.items()}, classes=CLASSES)
    wards = []
    for ward in Ward.objects.order_by("code"):
        if ward.code not in paths:
            continue
        x, y = labels.get(ward.code, (0, 0))
        count = counts.get(ward.code, 0)
        wards.append(
            {
                "ward": ward,
                "d": paths[ward.code],
                "x": x,
                "y": y,
                "count": count,
                "cls": classes.get(ward.code, 0),
                "url": url_for(ward),
                "label": ngettext("%(ward)s %(n)d件", "%(ward)s %(n)d件", count)
                % {"ward": ward.local_name, "n": count},
            }
        )
    return {
        "wards": wards,
        "legend": _legend(counts, classes),
        "width": SVG_WIDTH,
        "height": SVG_HEIGHT,
        "credit": _("出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成"),
        "total": sum(counts.values()),
    }
