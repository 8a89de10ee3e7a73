"""Small multiples of the probes' readings over time, one panel per probe, on the run plots' time axis.

A probe reading numbers is drawn as a step line (a value holds until the next reading); one reading text
(a version, a status) as steps between its values, each value a row. Failed readings are red crosses on
the axis: a gap in the line is then visibly a probe that could not read, not a stack that said nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from harness.comparisons import MAX_SHOWN, as_number, shown
from harness.report.plots import shade_faults
from harness.report.timeline import FaultSpan

PROBES_PLOT_FILE = "probes.png"
PROBES_PLOT_TITLE = "Probe readings over time"
_LINE_COLOUR = "tab:blue"
_ERROR_COLOUR = "red"


def _panel(ax: Axes, name: str, readings: Sequence[dict[str, Any]], origin: float) -> None:
    good = [(float(r["t"]) - origin, r.get("value")) for r in readings if not r.get("error")]
    failed = [float(r["t"]) - origin for r in readings if r.get("error")]
    numbers = [as_number(v) for _, v in good]
    x = [t for t, _ in good]
    if good and all(n is not None for n in numbers):
        ax.step(x, numbers, where="post", color=_LINE_COLOUR, marker=".", ms=3, label="reading")
    elif good:
        levels = list(dict.fromkeys(shown(v) for _, v in good))
        ax.step(x, [levels.index(shown(v)) for _, v in good], where="post", color=_LINE_COLOUR, marker=".",
                ms=3, label="reading")  # fmt: skip
        ax.set_yticks(range(len(levels)), [level[: MAX_SHOWN // 3] for level in levels])
        ax.set_ylim(-0.5, len(levels) - 0.5)
    else:
        ax.text(0.5, 0.5, "no good reading", transform=ax.transAxes, ha="center", va="center", color="gray")
    if failed:
        ax.scatter(failed, [0.03] * len(failed), transform=ax.get_xaxis_transform(), marker="x",
                   color=_ERROR_COLOUR, label="failed reading", zorder=5)  # fmt: skip
    ax.set_title(name, parse_math=False, fontsize="medium", loc="left")
    ax.grid(True, alpha=0.3)


def render_probes_plot(
    readings: Sequence[dict[str, Any]], names: Sequence[str], spans: list[FaultSpan], origin: float,
    horizon_s: float, scenario: str,
) -> Figure:  # fmt: skip
    figure = Figure(figsize=(11, 1.2 + 2.0 * len(names)), dpi=100, layout="constrained")
    axes = figure.subplots(len(names), 1, sharex=True, squeeze=False).ravel()
    times = [float(r["t"]) - origin for r in readings]
    for ax, name in zip(axes, names, strict=True):
        _panel(ax, name, [r for r in readings if r.get("probe") == name], origin)
        shade_faults(ax, spans)
        ax.set_xlim(min([0.0, *times, *(s.start_s for s in spans)]), max([horizon_s, 1.0, *times]))
    axes[-1].set_xlabel("time since load start (s)")
    legend: dict[str, Any] = {}
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        legend.update({label: handle for handle, label in zip(handles, labels, strict=True)})
    figure.legend(legend.values(), legend.keys(), loc="outside lower center", ncols=4, fontsize="small")
    figure.suptitle(f"{PROBES_PLOT_TITLE} — {scenario}", parse_math=False)
    return figure


def write_probes_plot(
    plot_dir: Path, readings: Sequence[dict[str, Any]], names: Sequence[str], spans: list[FaultSpan],
    origin: float, horizon_s: float, scenario: str,
) -> Path:  # fmt: skip
    plot_dir.mkdir(parents=True, exist_ok=True)
    path = plot_dir / PROBES_PLOT_FILE
    render_probes_plot(readings, names, spans, origin, horizon_s, scenario).savefig(path, format="png")
    return path
