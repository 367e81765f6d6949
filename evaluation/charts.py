"""Small server-side SVG charts for the PDF report (WeasyPrint runs no JavaScript).

Every text is escaped with format_html; the markup is built here, never from user input as-is.
A bar never leaves its drawing: a value above the axis maximum (a KPI at 188.7 % of its target on
an axis that ends at 150 %) draws a bar that stops at the axis, marked with a break, and its
label — the real value, rounded half up (portal.rounding) — stays inside the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from portal.rounding import figure_text

COLOURS = ("#0031d8", "#e25100", "#259d63", "#7f19dd")


def _num(value) -> float:
    return float(value or 0)


def value_label(value, unit: str = "") -> str:
    """The label a bar or column carries: one decimal at most, rounded half up."""
    return f"{figure_text(value, 1, trim=True)}{unit}"


def text_width(text: str, font_size: float) -> float:
    """A generous estimate of the drawn width of ``text``: full-width characters take 1 em,
    others 0.62 em (digits and Latin letters of the report's font are narrower than that)."""
    return sum(font_size if ord(ch) > 0x2E7F else font_size * 0.62 for ch in text)


def hbar_chart(
    rows: Sequence[tuple[str, Sequence[Decimal | float | None]]],
    *,
    series: list[str],
    title: str,
    max_value: float | None = None,
    unit: str = "",
    label_width: int = 190,
    width: int = 640,
) -> SafeString:
    """Horizontal bars: one group per row, one bar per series value."""
    bar_h, gap = 12, 10
    group_h = bar_h * len(series) + gap
    top = 28
    legend_h = 20
    height = top + group_h * max(len(rows), 1) + legend_h + 8
    plot_w = width - label_width - 60
    peak = max_value or max([_num(v) for _, values in rows for v in values] + [1])
    parts = [format_html('<text x="0" y="16" font-size="13" font-weight="bold">{}</text>', title)]
    for index, (label, values) in enumerate(rows):
        y = top + index * group_h
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
                label_width - 6,
                f"{y + bar_h * len(series) / 2 + 3:.1f}",
                label[:22],
            )
        )
        for s_index, value in enumerate(values):
            parts.append(
                _hbar(
                    value,
                    x=label_width,
                    y=y + s_index * bar_h,
                    height=bar_h,
                    length=plot_w,
                    peak=peak,
                    colour=COLOURS[s_index % len(COLOURS)],
                    label="—" if value is None else value_label(value, unit),
                    right_edge=width,
                )
            )
    legend_y = top + group_h * max(len(rows), 1) + 6
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
            '<text x="{}" y="{}" font-size="10">{}</text>',
            (
                (
                    label_width + i * 140,
                    legend_y,
                    COLOURS[i % len(COLOURS)],
                    label_width + i * 140 + 14,
                    legend_y + 9,
                    name,
                )
                for i, name in enumerate(series)
            ),
        )
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'role="img" font-family="Report JP, sans-serif" aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        title,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def _hbar(
    value,
    *,
    x: int,
    y: int,
    height: int,
    length: int,
    peak: float,
    colour: str,
    label: str,
    right_edge: int,
) -> SafeString:
    """One bar of at most ``length`` (the axis maximum ``peak``) and its value label.

    A value above ``peak`` stops at the axis and carries a white break mark at its end; its
    label goes after the bar when it fits before ``right_edge``, inside the bar's end otherwise.
    """
    number = 0.0 if value is None else max(0.0, _num(value))
    over = number > peak
    w = min(number, peak) / peak * length
    font = 9
    label_w = text_width(label, font)
    after = x + w + 3
    if after + label_w <= right_edge - 2:
        text = format_html(
            '<text x="{}" y="{}" font-size="{}">{}</text>',
            f"{after:.1f}",
            y + height - 4,
            font,
            label,
        )
    else:
        text = format_html(
            '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#fff">{}</text>',
            f"{x + w - 8:.1f}",
            y + height - 4,
            font,
            label,
        )
    mark = (
        format_html(
            '<path d="M{} {} l4 {} M{} {} l4 {}" stroke="#fff" stroke-width="1.5"/>',
            f"{x + w - 6:.1f}",
            y,
            height - 2,
            f"{x + w - 3:.1f}",
            y,
            height - 2,
        )
        if over
        else ""
    )
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>{}{}',
        x,
        y,
        f"{w:.1f}",
        height - 2,
        colour,
        mark,
        text,
    )


def column_chart(
    labels: list[str], values: Sequence[Decimal | float | None], *, title: str, target=None
) -> SafeString:
    """Vertical columns over years, with the target as a dashed line."""
    width, height, left, bottom, top = 640, 220, 40, 30, 30
    plot_h = height - top - bottom
    peak = max([_num(v) for v in values] + [_num(target), 1])
    step = (width - left - 10) / max(len(labels), 1)
    parts = [format_html('<text x="0" y="16" font-size="13" font-weight="bold">{}</text>', title)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = 0 if value is None else _num(value) / peak * plot_h
        x = left + i * step + step * 0.2
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                f"{x:.1f}",
                f"{top + plot_h - h:.1f}",
                f"{step * 0.6:.1f}",
                f"{h:.1f}",
                COLOURS[0],
                f"{x + step * 0.3:.1f}",
                f"{top + plot_h - h - 3:.1f}",
                "データなし" if value is None else value_label(value),
                f"{x + step * 0.3:.1f}",
                height - 10,
                label,
            )
        )
    if target is not None:
        ty = top + plot_h - _num(target) / peak * plot_h
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e25100" '
                'stroke-dasharray="4 3"/><text x="{}" y="{}" font-size="9" fill="#e25100">'
                "目標 {}</text>",
                left,
                width - 10,
                f"{ty:.1f}",
                f"{ty:.1f}",
                width - 80,
                f"{ty - 3:.1f}",
                value_label(target),
            )
        )
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#333"/>',
            left,
            width - 10,
            top + plot_h,
            top + plot_h,
        )
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'role="img" font-family="Report JP, sans-serif" aria-label="{}">{}</svg>',
        width,
        height,
        width,
        height,
        title,
        format_html_join("", "{}", ((part,) for part in parts)),
    )
