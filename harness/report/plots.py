"""The run plots: latency, errors, traffic share per replica, attempts per request and model versions.

Every plot shares one x axis (seconds since load start) with the fault windows shaded, the injection
instant and the recovery point marked, so a reader can line cause and effect up across plots. Drawn on
bare `Figure` objects with the Agg canvas: no pyplot global state, no display needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.load.observation import PRESETS, Observation
from harness.report import series
from harness.report.formatting import fmt_ms, fmt_percent, fmt_seconds
from harness.report.stack_events import BreakerChange, CanaryChange
from harness.report.timeline import FaultSpan
from harness.verify.results import RunSummary

PLOT_FILES = {
    "latency": "latency.png",
    "errors": "errors.png",
    "traffic_share": "traffic_share.png",
    "attempts": "attempts.png",
    "versions": "versions.png",
}
"""Plot name -> file name under `plots/`; fixed so CI artefact links stay stable between runs."""

PLOT_TITLES = {
    "latency": "Latency per window",
    "errors": "Error rate per window",
    "traffic_share": "Traffic share per replica",
    "attempts": "Upstream attempts per request",
    "versions": "Traffic share per model version",
}
RUN_PLOTS = ("latency", "errors", "traffic_share", "attempts")
"""Drawn for every run; the versions plot only where there is more than one version to show."""

_ERROR_COLOURS = {
    "timeout": "tab:orange",
    "http_5xx": "tab:red",
    "connect": "tab:purple",
    "reset": "tab:brown",
    "http_4xx": "tab:pink",
    "other": "tab:gray",
}
_FAULT_COLOUR = "tab:orange"
_INJECTION_COLOUR = "darkred"
_RECOVERY_COLOUR = "tab:green"
_NO_REQUESTS = "No requests were recorded in this run"
_BREAKER_MARKERS = {"open": ("X", "red"), "half-open": ("D", "gold"), "closed": ("o", "white")}
_VERSION_PALETTE = ("tab:blue", "tab:red", "tab:purple", "tab:cyan", "tab:olive", "tab:brown", "tab:pink")
_CANARY_LINES = {"deployed": ("tab:blue", "--"), "rolled back": ("red", "-"), "promoted": ("tab:green", "-")}


@dataclass(frozen=True)
class PlotInputs:
    summary: RunSummary
    samples: pd.DataFrame
    windows: pd.DataFrame
    spans: list[FaultSpan]
    horizon_s: float
    breakers: list[BreakerChange] = field(default_factory=list)
    canary: list[CanaryChange] = field(default_factory=list)
    observation: Observation = field(default_factory=lambda: Observation(**PRESETS["reference"]))
    """Where answers said who served them and after how many attempts (the run's `load.observe`)."""


def _midpoints(windows: pd.DataFrame) -> pd.Series:
    return (windows["start_s"] + windows["end_s"]) / 2


def _no_data(ax: Axes, why: str = _NO_REQUESTS) -> None:
    ax.text(
        0.5,
        0.5,
        why,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="dimgray",
        fontsize="large",
        bbox={"facecolor": "white", "edgecolor": "lightgray"},
        zorder=7,
    )


def _legend_label(label: str, index: int, first: int | None) -> str:
    """Each marker kind gets one legend entry however many faults share it."""
    return label if index == first else "_nolegend_"


def fault_label(span: FaultSpan) -> str:
    """Name, kind and the nodes a fault hit, so a node fault can be matched to that node's band."""
    status = span.kind if span.applied else f"{span.kind}, not applied"
    where = f" on {', '.join(span.targets)}" if span.targets else ""
    return f" {span.name} ({status}{where})"


def shade_faults(ax: Axes, spans: list[FaultSpan]) -> None:
    """Shaded fault windows, labelled in place; planned-but-never-applied faults are hatched."""
    first_applied = next((i for i, s in enumerate(spans) if s.applied), None)
    first_recovered = next((i for i, s in enumerate(spans) if s.recovered_at_s is not None), None)
    for index, span in enumerate(spans):
        ax.axvspan(
            span.start_s,
            span.end_s,
            color=_FAULT_COLOUR,
            alpha=0.15 if span.applied else 0.06,
            hatch=None if span.applied else "//",
            label=_legend_label("fault window", index, 0),
            zorder=0,
        )
        ax.text(
            span.start_s,
            0.98 - 0.08 * (index % 3),
            fault_label(span),
            parse_math=False,
            transform=ax.get_xaxis_transform(),
            va="top",
            fontsize="small",
            color="saddlebrown",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1},
            zorder=6,
        )
        if span.applied:
            label = _legend_label("fault injected", index, first_applied)
            ax.axvline(span.start_s, color=_INJECTION_COLOUR, lw=1.2, label=label)
        if span.recovered_at_s is not None:
            label = _legend_label("SLO recovered", index, first_recovered)
            ax.axvline(span.recovered_at_s, color=_RECOVERY_COLOUR, lw=1.2, ls="--", label=label)


def _stacked_bars(ax: Axes, frame: pd.DataFrame, width_s: float, colour: Callable[[str], str | None]) -> None:
    """One bar per window, stacked by column, in percent of the window's requests."""
    bottom = pd.Series(0.0, index=frame.index)
    for column in frame.columns:
        values = frame[column] * 100
        ax.bar(
            frame.index,
            values,
            width=width_s,
            bottom=bottom,
            align="edge",
            label=column,
            color=colour(column),
            edgecolor="white",
            linewidth=0.3,
        )
        bottom = bottom + values


def _latency(ax: Axes, inputs: PlotInputs) -> None:
    slo = inputs.summary.slo
    ax.set_ylabel("latency (ms)")
    ax.axhline(
        slo.latency_threshold_ms,
        color="black",
        ls=":",
        label=f"SLO: p{slo.latency_percentile:g} < {fmt_ms(slo.latency_threshold_ms)}",
    )
    windows = inputs.windows
    if windows.empty:
        ax.set_ylim(0, slo.latency_threshold_ms * 1.5)
        _no_data(ax)
        return
    x = _midpoints(windows)
    ax.plot(x, windows["p50_ms"], marker=".", color="tab:blue", label="p50")
    ax.plot(x, windows["p99_ms"], marker=".", color="tab:purple", label="p99")
    if slo.latency_percentile not in (50, 99):
        ax.plot(x, windows["latency_ms"], marker=".", color="tab:cyan", label=f"p{slo.latency_percentile:g}")
    missed = ~windows["good"].astype(bool)
    ax.scatter(
        x[missed], windows["latency_ms"][missed], marker="x", color="red", zorder=5, label="window missed SLO"
    )
    worst, typical = windows[["p99_ms", "latency_ms"]].max().max(), windows["p50_ms"].median()
    highest = slo.latency_threshold_ms if pd.isna(worst) else max(float(worst), slo.latency_threshold_ms)
    if not pd.isna(typical) and highest > 20 * max(float(typical), 1.0):
        ax.set_yscale("log")
        ax.set_ylim(top=highest * 4)  # headroom for the fault labels above the curves
    else:
        ax.set_ylim(0, highest * 1.3)


def _errors(ax: Axes, inputs: PlotInputs) -> None:
    slo = inputs.summary.slo
    ax.set_ylabel("failed requests (% of window)")
    ax.axhline(
        (1 - slo.availability_target) * 100,
        color="black",
        ls=":",
        label=f"allowed by {fmt_percent(slo.availability_target)} availability",
    )
    if inputs.samples.empty:
        _no_data(ax)
        return
    rates = series.error_rates_by_class(inputs.samples, slo.window_s)
    _stacked_bars(ax, rates, slo.window_s, lambda name: _ERROR_COLOURS.get(name, "tab:gray"))
    worst = float(rates.sum(axis=1).max()) if not rates.empty else 0.0
    ax.set_ylim(0, max(worst * 100, (1 - slo.availability_target) * 100, 1.0) * 1.3)


def _band_middle(shares: pd.DataFrame, node: str, t_s: float, window_s: float) -> float:
    """Height (in %) of the middle of a node's band in the window holding t_s; the axis if it has none."""
    window = float(t_s // window_s * window_s)
    if window not in shares.index or node not in shares.columns:
        return 2.0
    row = shares.loc[window] * 100
    return float(row.cumsum()[node] - row[node] / 2)


def _mark_breakers(ax: Axes, shares: pd.DataFrame, inputs: PlotInputs) -> None:
    """Each breaker change on the band of the node it belongs to, with the node named beside it."""
    labelled: set[str] = set()
    for index, change in enumerate(inputs.breakers):
        marker, colour = _BREAKER_MARKERS[change.state]
        y = _band_middle(shares, change.node, change.t_s, inputs.summary.slo.window_s)
        label = f"breaker {change.state}" if change.state not in labelled else "_nolegend_"
        labelled.add(change.state)
        ax.scatter(
            change.t_s,
            y,
            marker=marker,
            s=70,
            color=colour,
            edgecolors="black",
            linewidths=1.3,
            zorder=8,
            label=label,
        )
        ax.annotate(
            change.node,
            (change.t_s, y),
            xytext=(4, 4 if index % 2 == 0 else -12),  # alternate: a flapping breaker's names stay legible
            textcoords="offset points",
            fontsize="x-small",
            annotation_clip=True,
            zorder=8,
        )


def _traffic_share(ax: Axes, inputs: PlotInputs) -> None:
    window_s = inputs.summary.slo.window_s
    ax.set_ylabel("share of requests (%)")
    if inputs.samples.empty:
        _no_data(ax)
        return
    if not inputs.summary.traffic_share:  # no answer said who served it: unknown, not "nobody"
        _no_data(ax, inputs.observation.absent("replica", len(inputs.samples)))
        return
    shares = series.replica_shares(inputs.samples, window_s)
    _stacked_bars(ax, shares, window_s, lambda name: "lightgray" if name == series.NO_REPLICA else None)
    degraded = series.degraded_share(inputs.samples, window_s)
    ax.step(
        degraded.index,
        degraded * 100,
        where="post",
        color="black",
        ls="--",
        lw=1.5,
        label="fallback (degraded)",
    )
    _mark_breakers(ax, shares, inputs)
    ax.set_ylim(0, 118)


def _mark_canary(ax: Axes, changes: list[CanaryChange]) -> None:
    labelled: set[str] = set()
    for index, change in enumerate(changes):
        colour, style = _CANARY_LINES[change.change]
        label = f"canary {change.change}" if change.change not in labelled else "_nolegend_"
        labelled.add(change.change)
        ax.axvline(change.t_s, color=colour, ls=style, lw=1.6, label=label, zorder=7)
        ax.text(
            change.t_s,
            0.72 - 0.08 * (index % 3),
            f" {change.version or 'canary'} {change.change}",
            parse_math=False,
            transform=ax.get_xaxis_transform(),
            fontsize="small",
            color=colour,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1},
            zorder=7,
        )


def _version_colours(shares: pd.DataFrame) -> dict[str, str]:
    """Busiest version first in the palette, so the stable one is blue and a canary stands out in red."""
    answered = shares.drop(columns=[series.NO_VERSION], errors="ignore").sum().sort_values(ascending=False)
    palette = _VERSION_PALETTE
    colours = {str(version): palette[index % len(palette)] for index, version in enumerate(answered.index)}
    return {**colours, series.NO_VERSION: "lightgray"}


def _versions(ax: Axes, inputs: PlotInputs) -> None:
    window_s = inputs.summary.slo.window_s
    ax.set_ylabel("share of requests (%)")
    shares = series.version_shares(inputs.samples, window_s)
    _stacked_bars(ax, shares, window_s, _version_colours(shares).get)
    _mark_canary(ax, inputs.canary)
    ax.set_ylim(0, 118)


def _attempts(ax: Axes, inputs: PlotInputs) -> None:
    ax.set_ylabel("attempts per request")
    ax.axhline(1, color="black", ls=":", label="no retries")
    if inputs.samples.empty:
        _no_data(ax)
        return
    attempts = series.attempts_per_window(inputs.samples, inputs.summary.slo.window_s)
    if attempts.empty:  # no answer said its attempts: nothing to plot, and nothing to invent
        _no_data(ax, inputs.observation.absent("attempts", len(inputs.samples)))
        return
    ax.step(attempts.index, attempts["mean"], where="post", color="tab:blue", label="mean")
    ax.step(attempts.index, attempts["max"], where="post", color="tab:purple", label="max")
    ax.set_ylim(0, max(float(attempts["max"].max()), 1.0) * 1.15 + 0.5)


_DRAWERS: dict[str, Callable[[Axes, PlotInputs], None]] = {
    "latency": _latency,
    "errors": _errors,
    "traffic_share": _traffic_share,
    "attempts": _attempts,
    "versions": _versions,
}


def render_plot(name: str, inputs: PlotInputs) -> Figure:
    figure = Figure(figsize=(11, 4.2), dpi=100)
    # Fixed margins (not constrained layout) so the x axes of all plots line up in the report.
    figure.subplots_adjust(left=0.07, right=0.78, top=0.9, bottom=0.13)
    ax = figure.add_subplot()
    _DRAWERS[name](ax, inputs)
    shade_faults(ax, inputs.spans)
    window = fmt_seconds(inputs.summary.slo.window_s)
    # parse_math off: user-chosen names are shown verbatim, a `$` must not start TeX.
    ax.set_title(f"{PLOT_TITLES[name]} ({window} windows) — {inputs.summary.scenario}", parse_math=False)
    ax.set_xlabel("time since load start (s)")
    ax.set_xlim(min([0.0, *(s.start_s for s in inputs.spans)]), max(inputs.horizon_s, 1.0))
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a run without samples or faults has nothing to list
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return figure


def write_plots(plot_dir: Path, inputs: PlotInputs, names: Iterable[str]) -> dict[str, Path]:
    plot_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in names:
        path = plot_dir / PLOT_FILES[name]
        render_plot(name, inputs).savefig(path, format="png")
        written[name] = path
    return written
