"""Write every human- and CI-facing report of a run into its run directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from harness.report.answers_section import answer_sections, run_observation
from harness.report.document import Image, Section
from harness.report.drift_comparison import compare_drift
from harness.report.drift_plot import DRIFT_PLOT_TITLE, write_drift_plot
from harness.report.drift_section import drift_section
from harness.report.html_page import render_html
from harness.report.junit import write_junit
from harness.report.markdown import render_markdown
from harness.report.plots import PLOT_TITLES, RUN_PLOTS, PlotInputs, write_plots
from harness.report.probes_plot import PROBES_PLOT_TITLE, write_probes_plot
from harness.report.probes_section import probes_section
from harness.report.quality_section import (
    QUALITY_PLOT_TITLE,
    quality_section,
    quality_shown,
    write_quality_plot,
)
from harness.report.shadow_section import shadow_section
from harness.report.stack_events import breaker_changes, canary_changes
from harness.report.timeline import fault_spans, run_horizon_s, time_origin
from harness.report.versions_section import versions_section, versions_shown
from harness.report.view import build_view
from harness.verify.results import RunSummary

if TYPE_CHECKING:
    from harness.scenario.probes import ProbeSpec


def _mechanism_sections(
    run_dir: Path,
    inputs: PlotInputs,
    snapshots: list[dict[str, Any]] | None,
    drift_truth: pd.DataFrame | None,
) -> tuple[list[Section], list[Path]]:
    """The model-version, answer-quality, shadow and data-drift sections with their plots, each only where
    it has content."""
    sections, plots = [], []
    if versions_shown(inputs.samples, inputs.canary):
        path = write_plots(run_dir / "plots", inputs, ["versions"])["versions"]
        image = Image.in_run(run_dir, PLOT_TITLES["versions"], path)
        sections.append(versions_section(inputs.samples, inputs.canary, image))
        plots.append(path)
    if quality_shown(inputs.samples) and "t_rel" in inputs.samples:
        summary = inputs.summary
        path = write_quality_plot(run_dir / "plots", inputs.samples, summary.slo.window_s, inputs.spans,
                                  inputs.horizon_s, summary.scenario)  # fmt: skip
        sections.append(quality_section(inputs.samples, Image.in_run(run_dir, QUALITY_PLOT_TITLE, path)))
        plots.append(path)
    shadow = shadow_section(snapshots, time_origin(inputs.summary))
    if shadow is not None:
        sections.append(shadow)
    drift = compare_drift(inputs.spans, snapshots, drift_truth, time_origin(inputs.summary))
    if drift is not None:
        drift_image = None
        if drift.features:
            path = write_drift_plot(run_dir / "plots", drift, inputs.horizon_s, inputs.summary.scenario)
            drift_image = Image.in_run(run_dir, DRIFT_PLOT_TITLE, path)
            plots.append(path)
        sections.append(drift_section(drift, drift_image))
    return sections, plots


def _probe_sections(
    run_dir: Path, inputs: PlotInputs, probes: Sequence[ProbeSpec], readings: Sequence[dict[str, Any]]
) -> tuple[list[Section], list[Path]]:
    """The probes section with its plot, for a scenario with probes."""
    if not probes:
        return [], []
    names = [p.name for p in probes]
    origin = time_origin(inputs.summary)
    path = write_probes_plot(
        run_dir / "plots", readings, names, inputs.spans, origin, inputs.horizon_s, inputs.summary.scenario
    )
    section = probes_section(probes, readings, Image.in_run(run_dir, PROBES_PLOT_TITLE, path))
    return ([section] if section else []), [path]


def write_reports(
    run_dir: Path,
    summary: RunSummary,
    samples: pd.DataFrame,
    windows: pd.DataFrame,
    events: list[dict[str, Any]],
    *,
    snapshots: list[dict[str, Any]] | None = None,
    drift_truth: pd.DataFrame | None = None,
    probes: Sequence[ProbeSpec] = (),
    probe_readings: Sequence[dict[str, Any]] = (),
) -> dict[str, Path]:
    """Writes report.md, report.html, junit.xml and plots/*.png into run_dir; returns name -> path.

    Names are paths relative to run_dir (`report.md`, `plots/latency.png`). Empty samples or windows
    (a run that stopped before the load) still give every run-wide file, saying that nothing was recorded.
    snapshots (the polled `/admin/state`) and drift_truth (harness/verify/drift_truth.py's frame) add the
    model-version and data-drift sections and plots, only where they have something to show; probes (the
    scenario's) and probe_readings (probes.jsonl) the probes section and its plot.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    horizon_s = run_horizon_s(summary, samples, windows)
    spans = fault_spans(summary, horizon_s)
    origin = time_origin(summary)
    breakers = breaker_changes(events, origin)
    canary = canary_changes(events, summary.faults, origin)
    observation = run_observation(run_dir)
    inputs = PlotInputs(summary, samples, windows, spans, horizon_s, breakers, canary, observation)
    plots = write_plots(run_dir / "plots", inputs, RUN_PLOTS)
    sections, mechanism_plots = _mechanism_sections(run_dir, inputs, snapshots, drift_truth)
    probe_sections, probe_plots = _probe_sections(run_dir, inputs, probes, probe_readings)
    sections += probe_sections
    mechanism_plots += probe_plots
    sections += answer_sections(run_dir, summary, samples)
    view = build_view(
        summary, samples, windows, events, spans, run_dir, plots, breakers, sections, observation
    )
    markdown = run_dir / "report.md"
    markdown.write_text(render_markdown(view), encoding="utf-8")
    html = run_dir / "report.html"
    html.write_text(render_html(view), encoding="utf-8")
    junit = write_junit(run_dir / "junit.xml", summary)
    written = {"report.md": markdown, "report.html": html, "junit.xml": junit}
    for path in [*plots.values(), *mechanism_plots]:
        written[path.relative_to(run_dir).as_posix()] = path
    return written
