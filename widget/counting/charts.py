"""Charts drawn on the server as SVG: no chart library, no third-party script.

Each chart is an image with a title and a text description for screen readers
(role="img", aria-labelledby), and each bar carries its own <title>; pages show the
same numbers as a table next to it and offer them as CSV.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 56, 28, 12
_ids = itertools.count(1)


def _nice_max(value: int) -> int:
    """A round, even number just above ``value`` for the vertical axis (even, so the
    middle grid line is a whole number too)."""
    if value <= 6:
        return max(2, value + value % 2)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude and step * magnitude % 2 == 0:
            return step * magnitude
    return value + value % 2


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
    label_every: int = 1,
    format_number=str,
    cumulative: bool = False,
) -> Markup:
    """Bars (or, with ``cumulative``, a line) for labelled values."""
    n = len(points)
    top = _nice_max(max((v for _, v in points), default=0))
    plot_w = WIDTH - MARGIN_LEFT - 8
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_w / max(n, 1)
    chart_id = f"chart-{next(_ids)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = MARGIN_TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_number(int(top * fraction)))}</text>"
        )
    if cumulative and points:
        coordinates = " ".join(
            f"{MARGIN_LEFT + step * (i + 0.5):.1f},{MARGIN_TOP + plot_h * (1 - v / top):.1f}"
            for i, (_, v) in enumerate(points)
        )
        parts.append(f'<polyline class="line" points="{coordinates}"/>')
    for i, (label, value) in enumerate(points):
        x = MARGIN_LEFT + step * i
        h = plot_h * value / top
        if not cumulative:
            parts.append(
                f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{MARGIN_TOP + plot_h - h:.1f}" '
                f'width="{step * 0.8:.1f}" height="{h:.1f}">'
                f"<title>{escape(label)}: {escape(format_number(value))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text class="axis" x="{x + step / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    items: Sequence[tuple[str, int]], *, title: str, description: str, format_number=str
) -> Markup:
    """Ranked bars with their labels, e.g. top partners or countries."""
    row_h, label_w = 26, 200
    height = max(len(items), 1) * row_h + 8
    top = max((v for _, v in items), default=0) or 1
    chart_id = f"chart-{next(_ids)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    plot_w = WIDTH - label_w - 90
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_h
        w = plot_w * value / top
        parts.append(
            f'<text class="axis" x="{label_w - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(label[:32])}</text>"
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}">'
            f"<title>{escape(label)}: {escape(format_number(value))}</title></rect>"
            f'<text class="axis" x="{label_w + w + 6:.1f}" y="{y + 17}">'
            f"{escape(format_number(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
