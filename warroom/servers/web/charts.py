"""Line charts as inline SVG, drawn on the server (no chart library, nothing to fetch).

A chart is a few series over simulated seconds since the incident page, with vertical
markers at the agent's writes and an optional cursor at the step being shown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

PALETTE = ("#0b5cad", "#c62828", "#1a7f37", "#8e44ad", "#d35400", "#00838f")
WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 30


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]


@dataclass
class Marker:
    t: float
    label: str


@dataclass
class Chart:
    title: str
    unit: str
    series: list[Series]
    markers: list[Marker] = field(default_factory=list)
    threshold: float | None = None


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _minutes(t: float) -> str:
    sign = "-" if t < 0 else "+"
    return f"{sign}{abs(t) / 60:.0f}m"


def svg(chart: Chart, cursor: float | None = None) -> str:
    """The chart as an ``<svg>`` element (accessible: a title and each series' label)."""
    pts = [p for s in chart.series for p in s.points]
    if not pts:
        return (f"<svg class='chart' role='img' width='{WIDTH}' height='40'><title>"
                f"{html.escape(chart.title)}: no data</title><text x='8' y='24'>"
                f"{html.escape(chart.title)}: no data</text></svg>")
    t0 = min(p[0] for p in pts)
    t1 = max(max(p[0] for p in pts), t0 + 1)
    lo = min(0.0, min(p[1] for p in pts))
    hi = max(p[1] for p in pts)
    if chart.threshold is not None:
        hi = max(hi, chart.threshold)
    hi = hi if hi > lo else lo + 1.0
    hi *= 1.08
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * pw

    def y(v: float) -> float:
        return TOP + ph - (v - lo) / (hi - lo) * ph

    parts = [f"<svg class='chart' role='img' viewBox='0 0 {WIDTH} {HEIGHT}' width='{WIDTH}' "
             f"height='{HEIGHT}' xmlns='http://www.w3.org/2000/svg'>",
             f"<title>{html.escape(chart.title)} ({html.escape(chart.unit)})</title>",
             f"<text x='{LEFT}' y='14' class='ct'>{html.escape(chart.title)} "
             f"<tspan class='cu'>({html.escape(chart.unit)})</tspan></text>",
             f"<rect x='{LEFT}' y='{TOP}' width='{pw}' height='{ph}' class='plot'/>"]
    for frac in (0.0, 0.5, 1.0):
        v = lo + frac * (hi - lo)
        parts.append(f"<text x='{LEFT - 4}' y='{y(v) + 4:.1f}' class='ax' "
                     f"text-anchor='end'>{_fmt(v)}</text>")
    for k in range(5):
        t = t0 + k * (t1 - t0) / 4
        parts.append(f"<text x='{x(t):.1f}' y='{HEIGHT - 12}' class='ax' "
                     f"text-anchor='middle'>{_minutes(t)}</text>")
    if t0 < 0 < t1:
        parts.append(f"<line x1='{x(0):.1f}' x2='{x(0):.1f}' y1='{TOP}' y2='{TOP + ph}' "
                     f"class='page'><title>incident page</title></line>")
    if chart.threshold is not None:
        ty = y(chart.threshold)
        parts.append(f"<line x1='{LEFT}' x2='{LEFT + pw}' y1='{ty:.1f}' y2='{ty:.1f}' "
                     f"class='slo'><title>objective {_fmt(chart.threshold)}</title></line>")
    for m in chart.markers:
        mx = x(m.t)
        parts.append(f"<line x1='{mx:.1f}' x2='{mx:.1f}' y1='{TOP}' y2='{TOP + ph}' "
                     f"class='write'><title>{html.escape(m.label)}</title></line>"
                     f"<text x='{mx + 2:.1f}' y='{TOP + 10}' class='wl'>"
                     f"{html.escape(m.label.split(' ')[0])}</text>")
    if cursor is not None and t0 <= cursor <= t1:
        parts.append(f"<line x1='{x(cursor):.1f}' x2='{x(cursor):.1f}' y1='{TOP}' "
                     f"y2='{TOP + ph}' class='cursor'><title>this step</title></line>")
    for i, s in enumerate(chart.series):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in s.points)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{colour}' "
                     f"stroke-width='1.8'><title>{html.escape(s.label)}</title></polyline>")
        parts.append(f"<text x='{LEFT + 8 + 150 * (i % 3)}' y='{TOP + ph - 6 - 12 * (i // 3)}' "
                     f"fill='{colour}' class='lg'>{html.escape(s.label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
