"""The live view's two faces: a rich panel redrawn in place on a terminal, and one plain line for logs.

Both say the same things: phase, load elapsed of total, requests/s, error rate and the SLO's latency
percentile over the last window, whether that window meets the SLO, and each fault's marks.
"""

from __future__ import annotations

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from harness.progress.state import FaultMarks, RunProgress
from harness.progress.tail import WindowFigures
from harness.scenario.model import SloSpec


def slo_state(figures: WindowFigures, slo: SloSpec) -> str:
    """ "SLO met", "SLO broken: ..." or "no requests" for the last window."""
    rate = figures.error_rate
    if rate is None or figures.latency_ms is None:
        return "no requests"
    broken = []
    if 1 - rate < slo.availability:
        broken.append(f"availability {1 - rate:.1%} < {slo.availability:.1%}")
    threshold = slo.latency_threshold
    if not threshold.holds(figures.latency_ms):
        broken.append(f"p{threshold.percentile:g} {figures.latency_ms:.0f} ms")
    return f"SLO broken: {', '.join(broken)}" if broken else "SLO met"


def _figures_text(figures: WindowFigures, slo: SloSpec) -> str:
    if figures.error_rate is None or figures.latency_ms is None:
        return f"last {figures.window_s:g}s: no requests"
    percentile = f"p{slo.latency_threshold.percentile:g}"
    return (
        f"last {figures.window_s:g}s: {figures.per_second:,.0f} req/s, errors {figures.error_rate:.1%}, "
        f"{percentile} {figures.latency_ms:,.0f} ms, {slo_state(figures, slo)}"
    )


def _mark(marks: FaultMarks) -> str:
    if marks.status == "ERROR":
        return f"{marks.name} ERROR"
    if marks.status == "active":
        return f"{marks.name} active since {marks.applied_at:.1f}s"
    if marks.status == "cleared":
        return f"{marks.name} {marks.applied_at or 0:.1f}s-{marks.cleared_at:.1f}s"
    return f"{marks.name} at {marks.planned_at:g}s"


def plain_line(progress: RunProgress, figures: WindowFigures, slo: SloSpec, now: float) -> str:
    """`chaosdrill: 12s/40s drilling; last 5s: 310 req/s, errors 0.3%, p99 48 ms, SLO met; faults: ...`"""
    with progress.lock:
        elapsed = progress.elapsed_s(now)
        faults = "; ".join(_mark(m) for m in progress.faults.values()) or "none"
        head = f"{elapsed:.0f}s/{progress.duration_s:g}s {progress.phase}"
    return f"chaosdrill: {head}; {_figures_text(figures, slo)}; faults: {faults}"


def live_panel(progress: RunProgress, figures: WindowFigures, slo: SloSpec, now: float) -> Group:
    with progress.lock:
        elapsed = progress.elapsed_s(now)
        header = Text(f"{progress.phase}  {elapsed:.0f}s of {progress.duration_s:g}s", style="bold")
        faults = Table("fault", "kind", "target", "planned", "applied", "cleared", "state", box=None)
        for marks in progress.faults.values():
            planned = f"{marks.planned_at:g}s" + (f"-{marks.planned_until:g}s" if marks.planned_until else "")
            faults.add_row(
                marks.name, marks.kind, ", ".join(marks.targets) or "-", planned,
                "-" if marks.applied_at is None else f"{marks.applied_at:.1f}s",
                "-" if marks.cleared_at is None else f"{marks.cleared_at:.1f}s",
                Text(marks.status, style="red bold" if marks.status in ("ERROR", "active") else ""),
            )  # fmt: skip
    top = Table.grid(padding=(0, 2))  # a bar ends no line of its own: it shares one with the phase
    top.add_row(header, ProgressBar(total=progress.duration_s, completed=elapsed, width=30))
    state = slo_state(figures, slo)
    window = Text(_figures_text(figures, slo).removesuffix(f", {state}"))  # the SLO state gets its own line
    state_line = Text(state, style="green" if state == "SLO met" else "yellow bold")
    return Group(top, window, state_line, *([faults] if progress.faults else []))
