"""Inline SVG charts for the HTML report, drawn in Python.

Why not a charting library: the page must open offline, from a mail attachment or a CI artefact,
with no CDN and no JavaScript; a line chart and a histogram are a few dozen lines of SVG. Every
text that reaches the SVG is escaped here, so callers may pass warehouse strings as they are.
The classes they carry (`chart`, `line`, `bar`, ...) are styled by the page (pipelines/html_style.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape

import numpy as np

WIDTH, HEIGHT = 420, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 14, 30  # plot margins, room for the axis labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# Round durations an operator thinks in, for the duration axis (a decade axis would say "16.7 min").
DURATION_TICKS = (0.01, 0.1, 1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)


def _frame(body: str, label: str, kind: str, vendor: str) -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" data-vendor="{escape(vendor)}" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "middle", cls: str = "tick") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _hline(cls: str, y: float) -> str:
    return f'<line class="{cls}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'


def _xtick(x: float, label: str) -> str:
    """An x-axis label that never spills past either edge of the chart."""
    anchor = "start" if x < LEFT + 12 else "end" if x > WIDTH - RIGHT - 12 else "middle"
    return _text(x - 4 if anchor == "start" else x + 4 if anchor == "end" else x, HEIGHT - 10, label, anchor)


def empty_chart(message: str, kind: str, vendor: str) -> str:
    """A framed placeholder, so a vendor without data keeps its place in the grid."""
    body = f'<rect class="empty" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" rx="6"/>'
    return _frame(body + _text(WIDTH / 2, HEIGHT / 2, message, cls="note"), message, kind, vendor)


def rate_chart(
    days: Sequence[tuple[date, int, int]],
    first: date,
    last: date,
    threshold: float | None,
    vendor: str,
    marks: Sequence[tuple[date, Sequence[str]]] = (),
) -> str:
    """Daily success rate (succeeded / (succeeded + failed)) as a line over a shared day axis.

    days: (day, succeeded, failed). A day with no decided run breaks the line instead of drawing
    a fake value through it. The dashed line is the `degraded` threshold, and days under it get
    an orange dot, so a dip reads at a glance; hovering a dot gives that day's counts.
    marks: (day, explanations) of anomalies (marts.sync_anomalies): a red triangle over the day,
    sized by how many, its explanations in the tooltip.
    """
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return LEFT + PLOT_W * (day - first).days / span

    def y(rate: float) -> float:
        return TOP + PLOT_H * (1 - rate)

    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts += [_hline("grid", y(tick)), _text(LEFT - 6, y(tick) + 4, f"{tick:.0%}", anchor="end")]
    step = max(1, math.ceil(span / 6))
    for offset in range(0, span + 1, step):
        day = first + timedelta(days=offset)
        parts.append(_xtick(x(day), f"{day:%b} {day.day}"))
    if threshold is not None:
        parts.append(
            _hline("threshold", y(threshold)).replace(
                "/>", f"><title>degraded below {threshold:.0%}</title></line>"
            )
        )
    segments: list[list[tuple[float, float]]] = []
    dots, previous = [], None
    for day, succeeded, failed in sorted(days):
        if succeeded + failed == 0:
            previous = None
            continue
        rate = succeeded / (succeeded + failed)
        if previous is None or (day - previous).days > 1:
            segments.append([])
        segments[-1].append((x(day), y(rate)))
        previous = day
        tip = escape(f"{day:%Y-%m-%d}: {rate:.1%} ({succeeded:,} succeeded, {failed:,} failed)")
        cls = "dot low" if threshold is not None and rate < threshold else "dot"
        dots.append(
            f'<circle class="{cls}" cx="{x(day):.1f}" cy="{y(rate):.1f}" r="3"><title>{tip}</title></circle>'
        )
    for points in segments:
        line = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points))
        area = f"{line} L{points[-1][0]:.1f},{y(0):.1f} L{points[0][0]:.1f},{y(0):.1f} Z"
        parts.append(f'<path class="area" d="{area}"/><path class="line" d="{line}"/>')
    parts.extend(dots)
    peak = max((len(texts) for _, texts in marks), default=1)
    parts += [_anomaly_mark(x(day), texts, peak) for day, texts in marks if first <= day <= last]
    return _frame("".join(parts), f"{vendor}: daily success rate", "success-rate", vendor)


def _anomaly_mark(x: float, texts: Sequence[str], peak: int) -> str:
    """A marked point for a day with anomalies, bigger the more it has (of the chart's busiest
    day); the tooltip lists them (first 8)."""
    half = 2.5 + 3.5 * math.sqrt(len(texts) / peak)
    tip = escape(f"{len(texts)} anomal{'y' if len(texts) == 1 else 'ies'}: " + "; ".join(texts[:8]))
    shape = f"M{x:.1f},{TOP + 1:.1f} l{half:.1f},{-1.8 * half:.1f} h{-2 * half:.1f} z"
    return f'<path class="anomaly" d="{shape}"><title>{tip}</title></path>'


def log_bins(values: Sequence[np.ndarray], per_decade: int = 4) -> np.ndarray | None:
    """Shared log-spaced bin edges over every vendor's positive values, whole decades at the ends.

    Shared edges put the vendors' histograms on one axis; log bins because durations and
    throughput span several orders of magnitude (an instant failure next to an hour-long load).
    """
    positive = [v[v > 0] for v in values if (v > 0).any()]
    if not positive:
        return None
    low = math.floor(math.log10(min(float(v.min()) for v in positive)))
    high = max(math.ceil(math.log10(max(float(v.max()) for v in positive))), low + 1)
    return np.logspace(low, high, (high - low) * per_decade + 1)


def histogram(
    values: np.ndarray,
    edges: np.ndarray,
    fmt: Callable[[float], str],
    ticks: Sequence[float],
    kind: str,
    vendor: str,
) -> str:
    """Bars of run counts per log bin, the median dashed; values <= 0 are not drawn (callers count them)."""
    positive = values[values > 0]
    counts, _ = np.histogram(positive, bins=edges)
    low, high = math.log10(edges[0]), math.log10(edges[-1])

    def x(value: float) -> float:
        return LEFT + PLOT_W * (math.log10(value) - low) / (high - low)

    peak = max(int(counts.max()), 1)
    parts = []
    for fraction in (0.5, 1):
        gy = TOP + PLOT_H * (1 - fraction)
        parts += [_hline("grid", gy), _text(LEFT - 6, gy + 4, f"{peak * fraction:,.0f}", anchor="end")]
    parts.append(_hline("axis", TOP + PLOT_H))
    parts += [_xtick(x(t), fmt(t)) for t in ticks if edges[0] <= t <= edges[-1]]
    for count, left, right in zip(counts, edges[:-1], edges[1:], strict=True):
        if count:
            bar_h = PLOT_H * count / peak
            tip = escape(f"{fmt(left)} – {fmt(right)}: {count:,} runs")
            parts.append(
                f'<rect class="bar" x="{x(left) + 1:.1f}" y="{TOP + PLOT_H - bar_h:.1f}" '
                f'width="{max(x(right) - x(left) - 2, 1):.1f}" height="{bar_h:.1f}">'
                f"<title>{tip}</title></rect>"
            )
    if len(positive):  # the median as a dashed line; its value is in the caption and the line's tooltip
        median = float(np.median(positive))
        mx, tip = x(median), escape(f"median {fmt(median)}")
        line = f'<line class="median" x1="{mx:.1f}" x2="{mx:.1f}" y1="{TOP}" y2="{TOP + PLOT_H}">'
        parts.append(f"{line}<title>{tip}</title></line>")
    return _frame("".join(parts), f"{vendor}: {kind} histogram", kind, vendor)


def duration_label(seconds: float) -> str:
    """Seconds as an operator reads them: 0.5 s, 40 s, 17 min, 2.8 h."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s" if seconds < 1 else f"{seconds:.3g} s"


def count_label(value: float) -> str:
    """0.01, 1, 10, 1k, 10k, 1M: short enough for an axis tick."""
    for suffix, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def decades(edges: np.ndarray) -> list[float]:
    """Ticks at every power of ten the bins span."""
    return [10.0**d for d in range(round(math.log10(edges[0])), round(math.log10(edges[-1])) + 1)]
