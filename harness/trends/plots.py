"""One plot per scenario and metric over time, as inline SVG: failed runs marked, each linked to its report.

SVG rather than PNG so that a failed run's marker is a link a reader can click; drawn on bare `Figure`
objects (no pyplot state). Each SVG's ids get a prefix of their own, so several inline in one page never
point at each other's markers or clip paths.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.history.rows import RecordedRun

_PASS, _FAIL = "tab:green", "tab:red"
_ID = re.compile(r'(\bid="|href="#|url\(#)')
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
"""Matplotlib's RDF block (creation date, tool): nothing a reader sees, and a diff in every page."""


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    value: Callable[[RecordedRun], float | None]


RUN_METRICS = [
    Metric("score", "Resilience score (0–100)", "", lambda r: r.score.value),
    Metric("error_rate", "Error rate", "%", lambda r: None if r.error_rate is None else r.error_rate * 100),
    Metric("latency_p99", "Latency p99", "ms", lambda r: r.latency_p99_ms),
    Metric("attempts", "Attempts per request (mean)", "", lambda r: r.mean_attempts),
]


def recovery_metric(fault: str) -> Metric:
    def value(run: RecordedRun) -> float | None:
        return next((f.recovery_s for f in run.faults if f.name == fault), None)

    return Metric(f"recovery:{fault}", f"Recovery time of {fault}", "s", value)


_MARKERS = {
    "passed run": {"marker": "o", "s": 24, "color": _PASS},
    "failed run (click: report)": {"marker": "X", "s": 60, "color": _FAIL},
    "not measured / never recovered": {"marker": "^", "s": 40, "color": _FAIL},
}


def plot_svg(runs: list[RecordedRun], metric: Metric, links: dict[str, str], prefix: str) -> str:
    """`runs` oldest first; `links`: run id -> URL of its report (already quoted)."""
    figure = Figure(figsize=(6.4, 2.6), layout="constrained")
    axes = figure.add_subplot()
    times = [datetime.fromtimestamp(r.started_at, UTC) for r in runs]
    values = [metric.value(r) for r in runs]
    measured = [(t, v) for t, v in zip(times, values, strict=True) if v is not None]
    if measured:
        axes.plot(*zip(*measured, strict=True), color="tab:blue", linewidth=1.2, zorder=1)
    if metric.key == "score":
        _mechanism_lines(axes, runs, times)
    top = max((v for _, v in measured), default=1.0) * 1.1 or 1.0
    groups: dict[str, list[tuple[datetime, float, str | None]]] = {label: [] for label in _MARKERS}
    for time, value, run in zip(times, values, runs, strict=True):
        if value is None:
            label = "not measured / never recovered"
        else:
            label = "passed run" if run.verdict == "pass" else "failed run (click: report)"
        groups[label].append((time, top if value is None else value, links.get(run.run_id)))
    for label, points in groups.items():
        if points:
            xs, ys, urls = zip(*points, strict=True)
            axes.scatter(xs, ys, label=label, urls=list(urls), zorder=3, **_MARKERS[label])
    axes.set_title(metric.title, fontsize=10)
    axes.set_ylabel(metric.unit)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.autofmt_xdate()
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg")
    svg = _METADATA.sub("", buffer.getvalue())
    return _ID.sub(lambda m: f"{m.group(1)}{prefix}-", svg[svg.index("<svg") :])


def _mechanism_lines(axes: Axes, runs: list[RecordedRun], times: list[datetime]) -> None:
    """Each mechanism's score beside the run's: which mechanism moved it."""
    for name in sorted({name for r in runs for name in r.mechanisms}):
        scores = [
            (t, r.mechanisms[name].value if name in r.mechanisms else None)
            for t, r in zip(times, runs, strict=True)
        ]
        points = [(t, v) for t, v in scores if v is not None]
        if points:
            axes.plot(*zip(*points, strict=True), linestyle="--", linewidth=1, label=name, zorder=2)
