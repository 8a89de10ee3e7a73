"""Small multiples of PSI over time, one panel per drifted feature: as sent vs as detected by the stack.

Sent and detected share each panel's axes so the gap between them (a monitor that lags, or misses the
drift) is visible at a glance; the x axis is the run plots' (seconds since load start), with the drift
fault windows shaded and the stack's alert periods marked on every panel.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.report.drift_comparison import DRIFTED_PSI, DriftComparison, FeatureDrift
from harness.report.plots import shade_faults

DRIFT_PLOT_FILE = "drift.png"
DRIFT_PLOT_TITLE = "Data drift per feature: PSI as sent vs as detected"
_COLUMNS = 2
_ALERT_COLOUR = "crimson"


def _mark_alerts(ax: Axes, drift: DriftComparison, horizon_s: float) -> None:
    for index, period in enumerate(drift.alerts):
        end = period.end_s if period.end_s is not None else horizon_s
        label = "stack drift alert raised" if index == 0 else "_nolegend_"
        ax.axvspan(period.start_s, end, ymin=0.0, ymax=0.04, color=_ALERT_COLOUR, label=label, zorder=5)
        ax.axvline(period.start_s, color=_ALERT_COLOUR, lw=1.2, ls="-.", zorder=5)


def _panel(ax: Axes, feature: FeatureDrift, drift: DriftComparison, horizon_s: float) -> None:
    sent = drift.sent[drift.sent["feature"] == feature.feature]
    detected = drift.detected[drift.detected["feature"] == feature.feature]
    if not sent.empty:
        middles = (sent["start_s"] + sent["end_s"]) / 2
        ax.plot(middles, sent["psi"], marker="o", ms=3, color="tab:blue", label="sent (harness ground truth)")
    if not detected.empty:
        ax.plot(detected["t_s"], detected["psi"], color="tab:red", lw=1.2, label="detected (stack monitor)")
    ax.axhline(DRIFTED_PSI, color="black", ls=":", lw=1, label=f"PSI {DRIFTED_PSI:g} (drift)")
    shade_faults(ax, drift.drift_spans)
    _mark_alerts(ax, drift, horizon_s)
    highest = max(p for p in (feature.max_psi_sent, feature.max_psi_detected, DRIFTED_PSI) if p is not None)
    ax.set_ylim(0, highest * 1.45)  # headroom for the fault labels above the curves
    ax.set_title(feature.feature, parse_math=False, fontsize="medium")
    ax.set_ylabel("PSI")
    ax.grid(True, alpha=0.3)


def render_drift_plot(drift: DriftComparison, horizon_s: float, scenario: str) -> Figure:
    count = len(drift.features)
    columns = min(_COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(11, 1.2 + 2.8 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    for ax, feature in zip(axes, drift.features, strict=False):
        _panel(ax, feature, drift, horizon_s)
        ax.set_xlim(min([0.0, *(s.start_s for s in drift.drift_spans)]), max(horizon_s, 1.0))
    for ax in axes[count:]:
        ax.set_visible(False)
    for ax in axes[max(count - columns, 0) : count]:
        ax.set_xlabel("time since load start (s)")
        ax.xaxis.set_tick_params(labelbottom=True)
    legend = {}
    for ax in axes[:count]:
        handles, labels = ax.get_legend_handles_labels()
        legend.update({label: handle for handle, label in zip(handles, labels, strict=True)})
    figure.legend(legend.values(), legend.keys(), loc="outside lower center", ncols=4, fontsize="small")
    figure.suptitle(f"{DRIFT_PLOT_TITLE} — {scenario}", parse_math=False)
    return figure


def write_drift_plot(plot_dir: Path, drift: DriftComparison, horizon_s: float, scenario: str) -> Path:
    plot_dir.mkdir(parents=True, exist_ok=True)
    path = plot_dir / DRIFT_PLOT_FILE
    render_drift_plot(drift, horizon_s, scenario).savefig(path, format="png")
    return path
