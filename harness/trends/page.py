"""The trends page: per scenario, its runs as a table (scores with their inputs) and one plot per metric.

Self-contained (inline CSS and SVG, no script, nothing fetched), so it opens from a CI artefact offline;
links to run reports are relative to the page, so a folder of run directories and the page move together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from harness.history.rows import RecordedRun
from harness.history.table import recovery_text
from harness.report.formatting import fmt_ms, fmt_number, fmt_percent
from harness.report.html_page import html_document
from harness.report.links import Cell, Link, html_table
from harness.scoring import FORMULA
from harness.trends.plots import RUN_METRICS, Metric, plot_svg, recovery_metric

PAGE = "index.html"
_CSS = """
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
figure.plot { margin: 0; border: 1px solid #d0d7de; padding: .3rem; }
figure.plot svg { width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class ScenarioTrend:
    scenario: str
    runs: list[RecordedRun]
    """Oldest first."""


def write_trends(out_dir: Path, trends: list[ScenarioTrend], history_shown: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / PAGE
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    total = sum(len(t.runs) for t in trends)
    intro = (
        f"<h1>chaosdrill trends</h1><p>{total} runs of {len(trends)} scenarios from history "
        f"{escape(history_shown)}, generated {generated}. Failed runs are marked ✖ in red and link to "
        f"their reports. Resilience score: {escape(FORMULA)} (README: Resilience score).</p>"
    )
    sections = [_section(trend, out_dir, index) for index, trend in enumerate(trends)]
    if not trends:
        sections = ["<p>No runs recorded yet.</p>"]
    page.write_text(html_document("chaosdrill trends", intro + "\n".join(sections), _CSS), encoding="utf-8")
    return page


def _report_link(run: RecordedRun, out_dir: Path) -> Link:
    return Link("report", os.path.relpath(Path(run.run_dir) / "report.html", out_dir))


def _metrics(trend: ScenarioTrend) -> list[Metric]:
    faults = list(dict.fromkeys(f.name for run in trend.runs for f in run.faults))
    return [*RUN_METRICS, *(recovery_metric(f) for f in faults)]


def _section(trend: ScenarioTrend, out_dir: Path, index: int) -> str:
    links = {run.run_id: _report_link(run, out_dir).href for run in trend.runs}
    figures = [
        f'<figure class="plot" data-scenario="{escape(trend.scenario)}" data-metric="{escape(m.key)}">'
        f"{plot_svg(trend.runs, m, links, f's{index}m{number}')}</figure>"
        for number, m in enumerate(_metrics(trend))
    ]
    newest = list(reversed(trend.runs))
    headers = ["Started (UTC)", "Stack", "Verdict", "Score (inputs)", "Recovery", "Errors", "p99",
               "Attempts", "Not met", "Report"]  # fmt: skip
    rows: list[list[Cell]] = [
        [
            datetime.fromtimestamp(run.started_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            run.stack_version or "-",
            run.verdict.upper(),
            run.score.short(),
            ", ".join(recovery_text(f) for f in run.faults) or "-",
            fmt_percent(run.error_rate),
            fmt_ms(run.latency_p99_ms),
            fmt_number(run.mean_attempts, 3),
            ", ".join(run.failed) or "-",
            _report_link(run, out_dir),
        ]
        for run in newest
    ]
    failed = frozenset(i for i, run in enumerate(newest) if run.verdict != "pass")
    return (
        f'<section class="scenario" id="{escape(trend.scenario)}"><h2>{escape(trend.scenario)}</h2>'
        f'<div class="plots">{"".join(figures)}</div>{html_table(headers, rows, failed)}</section>'
    )
