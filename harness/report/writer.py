"""Write every human- and CI-facing report of a run into its run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.report.html_page import render_html
from harness.report.junit import write_junit
from harness.report.markdown import render_markdown
from harness.report.plots import PlotInputs, write_plots
from harness.report.timeline import fault_spans, run_horizon_s
from harness.report.view import build_view
from harness.verify.results import RunSummary


def write_reports(
    run_dir: Path,
    summary: RunSummary,
    samples: pd.DataFrame,
    windows: pd.DataFrame,
    events: list[dict[str, Any]],
) -> dict[str, Path]:
    """Writes report.md, report.html, junit.xml and plots/*.png into run_dir; returns name -> path.

    Names are paths relative to run_dir (`report.md`, `plots/latency.png`). Empty samples or windows
    (a run that stopped before the load) still give every file, saying that nothing was recorded.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    horizon_s = run_horizon_s(summary, samples, windows)
    spans = fault_spans(summary, horizon_s)
    plots = write_plots(run_dir / "plots", PlotInputs(summary, samples, windows, spans, horizon_s))
    view = build_view(summary, samples, windows, events, spans, run_dir, plots)
    markdown = run_dir / "report.md"
    markdown.write_text(render_markdown(view), encoding="utf-8")
    html = run_dir / "report.html"
    html.write_text(render_html(view), encoding="utf-8")
    junit = write_junit(run_dir / "junit.xml", summary)
    written = {"report.md": markdown, "report.html": html, "junit.xml": junit}
    written.update({path.relative_to(run_dir).as_posix(): path for path in plots.values()})
    return written
