"""The answers' quality against the ground truth, per model version, with its plot over time: what
availability and latency cannot show (a version answering 200 OK, fast and wrong; the fallback model's
real cost while degraded)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from harness.report.document import Image, Section, Table
from harness.report.formatting import fmt_count, fmt_number, fmt_percent
from harness.report.plots import shade_faults
from harness.report.timeline import FaultSpan
from harness.verify.quality import aggregate, score_samples

QUALITY_PLOT_FILE = "quality.png"
QUALITY_PLOT_TITLE = "Accuracy against the ground truth, per model version"
UNNAMED_VERSION = "(not named)"


def quality_shown(samples: pd.DataFrame) -> bool:
    """Only where the load recorded a ground truth (the drill asked about quality)."""
    return "truth" in samples and bool((samples["truth"] != "").any())


def _by_version(samples: pd.DataFrame, scores: pd.DataFrame) -> list[list[str]]:
    """Per model version: rows scored, accuracy, mean absolute error; most rows first."""
    versions = samples["version"].replace("", UNNAMED_VERSION)
    rows = [
        (str(version), int(group["rows_scored"].sum()), aggregate(group, "accuracy"), aggregate(group, "mae"))
        for version, group in scores.groupby(versions)
    ]
    return [
        [version, fmt_count(scored), fmt_percent(accuracy, 2), fmt_number(mae, 4)]
        for version, scored, accuracy, mae in sorted(rows, key=lambda row: -row[1])
    ]


def quality_section(samples: pd.DataFrame, image: Image | None) -> Section:
    scores = score_samples(samples)
    rows = _by_version(samples, scores)
    overall = aggregate(scores, "accuracy")
    intro = (
        f"Each answer's predictions against the true function of the rows sent: a row is right when both "
        f"fall on the same side of 0.5. Overall accuracy {fmt_percent(overall, 2)} over "
        f"{fmt_count(int(scores['rows_scored'].sum()))} rows."
        if overall is not None
        else "No answer could be scored: none carried a prediction that lined up with its rows."
    )
    table = Table(["Version", "Rows scored", "Accuracy", "Mean absolute error"], rows) if rows else None
    return Section("Answer quality", paragraphs=[intro], table=table, images=[image] if image else [])


def render_quality_plot(
    samples: pd.DataFrame, window_s: float, spans: list[FaultSpan], horizon_s: float, scenario: str
) -> Figure:
    figure = Figure(figsize=(11, 3.6), dpi=100, layout="constrained")
    ax = figure.subplots()
    scores = score_samples(samples)
    window = (samples["t_rel"] // window_s) * window_s
    versions = samples["version"].replace("", UNNAMED_VERSION)
    for version in sorted(set(versions)):
        mine = scores[versions == version]
        grouped = mine.groupby(window[versions == version])
        accuracy = grouped["rows_correct"].sum() / grouped["rows_scored"].sum()
        accuracy = accuracy[grouped["rows_scored"].sum() > 0]
        ax.plot(accuracy.index + window_s / 2, accuracy * 100, marker=".", label=version)
    shade_faults(ax, spans)
    ax.set_xlim(0, max(horizon_s, 1.0))
    ax.set_ylim(-2, 102)
    ax.set_ylabel("accuracy (%)")
    ax.set_xlabel("time since load start (s)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    figure.suptitle(f"{QUALITY_PLOT_TITLE} — {scenario}", parse_math=False)
    return figure


def write_quality_plot(
    plot_dir: Path, samples: pd.DataFrame, window_s: float, spans: list[FaultSpan], horizon_s: float,
    scenario: str,
) -> Path:  # fmt: skip
    plot_dir.mkdir(parents=True, exist_ok=True)
    path = plot_dir / QUALITY_PLOT_FILE
    render_quality_plot(samples, window_s, spans, horizon_s, scenario).savefig(path, format="png")
    return path
