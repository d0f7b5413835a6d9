"""A small inline SVG of a stability claim's float64 relative error over its range (no script).

x: the symbol on a symmetric log scale (magnitudes below 1e-8 collapse to 0,
the sampled points are log-spaced); y: log10 of the relative error from
1e-18 to 10, the tolerance as a dashed line, points where float64 gave inf or
nan as red marks at the top.
"""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 360, 130
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 10, 26
Y_LOW, Y_HIGH = -18.0, 1.0
_LINEAR = 1e-8


def _symlog(x: float) -> float:
    if abs(x) <= _LINEAR:
        return 0.0
    return math.copysign(math.log10(abs(x) / _LINEAR), x)


def error_plot(evidence: dict) -> str:
    """Return the SVG element for ``evidence['series']``, or "" when there is no series to draw."""
    series = evidence.get("series")
    if not series or not series.get("x"):
        return ""
    xs = [_symlog(float(x)) for x in series["x"]]
    low, high = min(xs), max(xs)
    if high == low:
        return ""
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(t: float) -> float:
        return LEFT + (t - low) / (high - low) * width

    def py(error: float) -> float:
        level = Y_LOW if error <= 0 else min(max(math.log10(error), Y_LOW), Y_HIGH)
        return TOP + (Y_HIGH - level) / (Y_HIGH - Y_LOW) * height

    finite = [(px(t), py(e)) for t, e in zip(xs, series["error"]) if e is not None]
    broken = [px(t) for t, e in zip(xs, series["error"]) if e is None]
    rtol = float(evidence.get("rtol", 1e-6))
    parts = [
        f'<svg class="errors" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
        f"<title>{escape(_caption(evidence))}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{width}" height="{height}" fill="#fafbfc" stroke="#dde2e8"/>',
        f'<line x1="{LEFT}" x2="{LEFT + width}" y1="{py(rtol):.1f}" y2="{py(rtol):.1f}" '
        'stroke="#b3261e" stroke-dasharray="4 3" stroke-width="1"/>',
    ]
    for level in (-16, -8, 0):
        parts.append(
            f'<text x="{LEFT - 4}" y="{py(10.0**level) + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="#5d6773">1e{level}</text>'
        )
    if finite:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in finite)
        parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="1.2"/>')
    for x in broken:
        parts.append(f'<rect x="{x - 1.5:.1f}" y="{TOP}" width="3" height="6" fill="#b3261e"/>')
    raw = [float(x) for x in series["x"]]
    for value in _ticks(raw):
        parts.append(
            f'<text x="{px(_symlog(value)):.1f}" y="{HEIGHT - 10}" font-size="9" text-anchor="middle" '
            f'fill="#5d6773">{_tick_label(value)}</text>'
        )
    parts.append(
        f'<text x="{LEFT + width / 2:.1f}" y="{HEIGHT - 1}" font-size="9" text-anchor="middle" '
        f'fill="#5d6773">{escape(series.get("symbol", "x"))} (symmetric log scale)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    ticks = [low, high]
    if low < 0 < high:
        ticks.append(0.0)
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:g}"


def _caption(evidence: dict) -> str:
    return (
        f"float64 relative error at {evidence.get('points', 0)} points "
        f"(dashed: rtol {float(evidence.get('rtol', 1e-6)):g}; red marks: inf or nan)"
    )
