"""Small inline SVG charts drawn in Python: no JavaScript library, no network.

The SVG is meant to sit inside an HTML page (no XML namespace needed there); colours
come from CSS classes so the page's stylesheet controls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("c0", "c1", "c2", "c3", "c4", "c5")


@dataclass
class Bar:
    label: str
    value: float | None
    href: str | None = None  # e.g. "#turn-3"
    tip: str | None = None
    css: str = "c0"


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 or abs(v) >= 100 else f"{v:.1f}"


def _nice_max(values: Sequence[float], floor: float) -> float:
    """The smallest 1/2/2.5/5 x 10^k at or above every value (and ``floor``)."""
    top = max([floor, *values])
    scale = 1.0
    while scale * 10 < top:
        scale *= 10
    while scale > top:
        scale /= 10
    return next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= top)


def _axis(width: int, height: int, left: int, top: int, ymax: float, ymin: float = 0.0) -> list[str]:
    parts = []
    for i in range(5):
        v = ymin + (ymax - ymin) * i / 4
        y = top + height - height * i / 4
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{_fmt(v)}</text>'
        )
    return parts


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    ymax: float | None = None,
    band: tuple[float, float] | None = None,
    chart_id: str = "chart",
) -> Markup:
    """Vertical bars with value labels; ``band`` shades a target range (e.g. a good pace)."""
    values = [b.value for b in bars if b.value is not None]
    top_value = ymax or _nice_max(values, band[1] if band else 1.0)
    W, H, L, T, B = 360, 150, 30, 10, 34
    n = max(len(bars), 1)
    slot = (W - L - 8) / n
    bw = min(40.0, slot * 0.7)
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {W} {H + T + B}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if band:
        y1 = T + H - H * min(band[1], top_value) / top_value
        y0 = T + H - H * band[0] / top_value
        out.append(f'<rect class="band" x="{L}" y="{y1:.1f}" width="{W - L - 8}" height="{y0 - y1:.1f}"/>')
    out.extend(_axis(W - L - 8, H, L, T, top_value))
    for i, b in enumerate(bars):
        x = L + slot * i + (slot - bw) / 2
        cx = x + bw / 2
        label = escape(b.label if len(b.label) <= 10 else b.label[:9] + "…")
        tip = escape(b.tip or f"{b.label}: {'–' if b.value is None else _fmt(b.value)}")
        if b.value is None:
            bar = (
                f'<text class="val na" x="{cx:.1f}" y="{T + H - 4}" text-anchor="middle">–</text>'
            )
        else:
            h = H * min(b.value, top_value) / top_value
            y = T + H - h
            bar = (
                f'<rect class="bar {escape(b.css)}" x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" '
                f'height="{max(h, 0.5):.1f}" rx="2"><title>{tip}</title></rect>'
                f'<text class="val" x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle">{_fmt(b.value)}</text>'
            )
        text = f'<text class="lbl" x="{cx:.1f}" y="{T + H + 14}" text-anchor="middle">{label}</text>'
        group = f"<g>{bar}{text}</g>"
        if b.href:
            group = f'<a href="{escape(b.href)}">{group}</a>'
        out.append(group)
    out.append(f'<line class="axis" x1="{L}" y1="{T + H}" x2="{W - 8}" y2="{T + H}"/></svg>')
    return Markup("".join(out))


def line_chart(
    series: dict[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    ymax: float | None = None,
    chart_id: str = "chart",
) -> Markup:
    """One polyline per series over shared x positions (a None is skipped, the line joins
    its neighbours), with a legend."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top_value = ymax or _nice_max(values, 1.0)
    W, H, L, T, B = 360, 150, 30, 10, 30
    n = max(len(x_labels), 1)
    x0, x1 = L + 14, W - 26  # room for the first and last x label
    step = (x1 - x0) / max(n - 1, 1)
    legend_rows = (len(series) + 2) // 3
    total_h = H + T + B + 14 * legend_rows
    out = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {W} {total_h}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    out.extend(_axis(W - L - 8, H, L, T, top_value))
    every = max(1, n // 6)
    for i, lab in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            x = x0 + step * i if n > 1 else (x0 + x1) / 2
            out.append(f'<text class="lbl" x="{x:.1f}" y="{T + H + 14}" text-anchor="middle">{escape(lab)}</text>')
    for k, (name, vs) in enumerate(series.items()):
        css = PALETTE[k % len(PALETTE)]
        runs: list[list[tuple[float, float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:  # not measured in that session: the line joins its neighbours
                continue
            x = x0 + step * i if n > 1 else (x0 + x1) / 2
            y = T + H - H * min(v, top_value) / top_value
            runs[-1].append((x, y, v))
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in run)
                out.append(f'<polyline class="line {css}" points="{pts}"/>')
            for x, y, v in run:
                out.append(
                    f'<circle class="dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                    f"<title>{escape(name)}: {_fmt(v)}</title></circle>"
                )
        lx = L + (k % 3) * 110
        ly = T + H + B + 14 * (k // 3)
        out.append(
            f'<rect class="bar {css}" x="{lx}" y="{ly - 8}" width="10" height="10" rx="2"/>'
            f'<text class="legend" x="{lx + 14}" y="{ly}">{escape(name)}</text>'
        )
    out.append(f'<line class="axis" x1="{L}" y1="{T + H}" x2="{W - 8}" y2="{T + H}"/></svg>')
    return Markup("".join(out))
