"""Small hand-written SVG charts for the HTML report: lines, markers, heat maps, histograms.

Charts are drawn server-side as inline SVG, so the page needs no script and no network to
render. Long series are reduced to the minimum and maximum of each pixel-wide bucket,
which keeps every spike visible at a fraction of the points. Hovering a marker or a cell
shows its ``<title>`` as a native tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 1100, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 30
MAX_POINTS = 2_400  # per line: two per pixel column
Labels = Sequence[str] | np.ndarray


@dataclass(frozen=True, slots=True)
class Line:
    """One series: values per bar (NaN where absent), drawn against bar positions."""

    label: str
    values: np.ndarray
    color: str
    fill: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A point to mark, such as a trade's entry, with the text its tooltip shows."""

    index: int
    value: float
    kind: str  # "buy" or "sell": triangle up or down
    title: str


class _Frame:
    """Maps bar positions and values into the plot area."""

    def __init__(self, bars: int, low: float, high: float, height: int) -> None:
        span = high - low if high > low else max(abs(high), 1.0)
        self.low, self.high = low - 0.04 * span, high + 0.04 * span
        self.bars, self.height = max(bars - 1, 1), height

    def x(self, index: np.ndarray | float) -> np.ndarray:
        return LEFT + (WIDTH - LEFT - RIGHT) * np.asarray(index, np.float64) / self.bars

    def y(self, value: np.ndarray | float) -> np.ndarray:
        share = (np.asarray(value, np.float64) - self.low) / (self.high - self.low)
        return TOP + (self.height - TOP - BOTTOM) * (1.0 - share)


def decimate(values: np.ndarray, limit: int = MAX_POINTS) -> np.ndarray:
    """Return the bar positions to draw: all when few, else each bucket's min and max."""
    index = np.flatnonzero(np.isfinite(values))
    if len(index) <= limit:
        return index
    size = math.ceil(len(index) / (limit // 2))
    padded = np.concatenate((index, np.full(-len(index) % size, index[-1])))
    buckets = padded.reshape(-1, size)
    picked = values[buckets]
    rows = np.arange(len(buckets))
    ends = np.stack((buckets[rows, picked.argmin(axis=1)], buckets[rows, picked.argmax(axis=1)]))
    return np.unique(ends)


def line_chart(
    lines: Sequence[Line],
    labels: Labels,
    *,
    markers: Sequence[Marker] = (),
    percent: bool = False,
    height: int = HEIGHT,
    name: str = "chart",
) -> str:
    """Return an SVG of ``lines`` over bars labelled by ``labels`` (one per bar)."""
    finite = [line.values[np.isfinite(line.values)] for line in lines]
    values = np.concatenate([*finite, np.array([m.value for m in markers], np.float64)])
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    frame = _Frame(len(labels), low, high, height)
    parts = [_axes(frame, labels, percent)]
    parts += [_path(frame, line) for line in lines]
    parts += [_marker(frame, marker) for marker in markers]
    parts.append(_legend(lines))
    return _svg(height, name, "".join(parts))


def _svg(height: int, name: str, body: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(name)}" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="none">{body}</svg>'
    )


def _path(frame: _Frame, line: Line) -> str:
    index = decimate(line.values)
    if len(index) == 0:
        return ""
    xs, ys = frame.x(index), frame.y(line.values[index])
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    area = ""
    if line.fill:
        base = float(frame.y(0.0))
        area = (
            f'<path d="M{xs[0]:.1f},{base:.1f} L{points} L{xs[-1]:.1f},{base:.1f} Z" '
            f'fill="{line.color}" fill-opacity="0.25" stroke="none"/>'
        )
    return area + (
        f'<polyline points="{points}" fill="none" stroke="{line.color}" stroke-width="1.2">'
        f"<title>{escape(line.label)}</title></polyline>"
    )


def _marker(frame: _Frame, marker: Marker) -> str:
    x, y = float(frame.x(marker.index)), float(frame.y(marker.value))
    if marker.kind == "buy":
        shape, color = (
            f"{x:.1f},{y + 2:.1f} {x - 5:.1f},{y + 11:.1f} {x + 5:.1f},{y + 11:.1f}",
            "#15803d",
        )
    else:
        shape, color = (
            f"{x:.1f},{y - 2:.1f} {x - 5:.1f},{y - 11:.1f} {x + 5:.1f},{y - 11:.1f}",
            "#b91c1c",
        )
    return (
        f'<polygon class="marker {marker.kind}" points="{shape}" fill="{color}">'
        f"<title>{escape(marker.title)}</title></polygon>"
    )


def _axes(frame: _Frame, labels: Labels, percent: bool) -> str:
    parts = []
    for tick in _ticks(frame.low, frame.high):
        y = float(frame.y(tick))
        text = f"{tick:.0%}" if percent else _number(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(text)}</text>'
        )
    for index in np.linspace(0, len(labels) - 1, min(6, len(labels))).round().astype(int):
        x = float(frame.x(index))
        anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{frame.height - 8}" text-anchor="{anchor}">'
            f"{escape(labels[index])}</text>"
        )
    return "".join(parts)


def _legend(lines: Sequence[Line]) -> str:
    parts = []
    for k, line in enumerate(lines):
        x = LEFT + 12 + 170 * k
        parts.append(
            f'<rect x="{x}" y="{TOP + 4}" width="12" height="3" fill="{line.color}"/>'
            f'<text x="{x + 18}" y="{TOP + 9}">{escape(line.label)}</text>'
        )
    return "".join(parts)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / count
    if not raw > 0.0:
        return [low]
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(count + 2) if first + k * step <= high]


def _number(value: float) -> str:
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:.4g}"


def heatmap(
    values: np.ndarray, rows: Sequence[str], columns: Sequence[str], titles: Sequence[str]
) -> str:
    """Return an SVG grid of ``values`` (rows x columns), red low to green high, NaN grey."""
    n_rows, n_columns = values.shape
    cell_w = (WIDTH - LEFT - RIGHT) / n_columns
    cell_h = max(8.0, min(28.0, 560 / n_rows))
    height = int(TOP + cell_h * n_rows + BOTTOM)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    parts = []
    for r in range(n_rows):
        y = TOP + r * cell_h
        parts.append(_label(LEFT - 6, y + cell_h / 2 + 4, rows[r], "end", n_rows, r))
        for c in range(n_columns):
            color = _color(values[r, c], low, high)
            parts.append(
                f'<rect class="cell" x="{LEFT + c * cell_w:.1f}" y="{y:.1f}" '
                f'width="{cell_w + 0.3:.1f}" height="{cell_h + 0.3:.1f}" fill="{color}">'
                f"<title>{escape(titles[r * n_columns + c])}</title></rect>"
            )
    bottom = TOP + n_rows * cell_h + 16
    for c in range(n_columns):
        x = LEFT + (c + 0.5) * cell_w
        parts.append(_label(x, bottom, columns[c], "middle", n_columns, c))
    return _svg(height, "heat map", "".join(parts))


def _label(x: float, y: float, text: str, anchor: str, count: int, k: int) -> str:
    # label every n-th row or column so crowded axes stay readable
    if k % max(1, math.ceil(count / 25)):
        return ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _color(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return "#d4d4d8"
    share = 0.5 if high <= low else (value - low) / (high - low)
    red = (185, 28, 28)
    mid = (250, 250, 210)
    green = (21, 128, 61)
    start, end, t = (red, mid, share * 2) if share < 0.5 else (mid, green, share * 2 - 1)
    rgb = (round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def histogram(values: np.ndarray, label: str, color: str, bins: int = 40) -> str:
    """Return an SVG histogram of ``values`` with percent labels on the x axis."""
    counts, edges = np.histogram(values, bins=bins)
    height = 220
    frame = _Frame(bins + 1, 0.0, float(counts.max()), height)
    width = (WIDTH - LEFT - RIGHT) / bins
    parts = []
    for k, count in enumerate(counts):
        y = float(frame.y(count))
        parts.append(
            f'<rect x="{LEFT + k * width:.1f}" y="{y:.1f}" width="{width - 1:.1f}" '
            f'height="{float(frame.y(0)) - y:.1f}" fill="{color}">'
            f"<title>{edges[k]:.2%} to {edges[k + 1]:.2%}: {count}</title></rect>"
        )
    ticks = [f"{edge:.1%}" for edge in edges]
    parts.append(_axes(frame, ticks, percent=False))
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{TOP + 9}" text-anchor="end">{escape(label)}</text>'
    )
    return _svg(height, label, "".join(parts))
