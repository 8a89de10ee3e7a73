"""Report fixtures: each synthetic run is rendered once per session (plots take about a second)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.report import write_reports
from harness.verify.results import RunSummary
from tests.report.ml_data import (
    make_drift_truth,
    make_ml_events,
    make_ml_faults,
    make_ml_samples,
    make_snapshots,
)
from tests.report.postmortem_data import failed_drill_faults, result
from tests.report.report_data import (
    expectation,
    make_events,
    make_faults,
    make_samples,
    make_summary,
    make_windows,
)


@dataclass
class RenderedRun:
    run_dir: Path
    summary: RunSummary
    written: dict[str, Path]

    def text(self, name: str) -> str:
        return self.written[name].read_text(encoding="utf-8")


def _render(
    tmp_path_factory: pytest.TempPathFactory,
    summary: RunSummary,
    samples: pd.DataFrame,
    windows: pd.DataFrame,
    events: list[dict[str, object]],
    **stack: Any,
) -> RenderedRun:
    """stack: write_reports' optional snapshots and drift_truth."""
    run_dir = tmp_path_factory.mktemp(summary.verdict) / "run"
    return RenderedRun(run_dir, summary, write_reports(run_dir, summary, samples, windows, events, **stack))


@pytest.fixture(scope="session")
def passed_run(tmp_path_factory: pytest.TempPathFactory) -> RenderedRun:
    samples, faults = make_samples(), make_faults(latency_recovered=True)
    expectations = [
        expectation("recovery kill-gpu", True, "SLI back within SLO 4s after the kill"),
        expectation("recovery slow-cpu", True, "SLI back within SLO 4s after injection"),
    ]
    summary = make_summary("quickstart", expectations, faults, samples)
    return _render(tmp_path_factory, summary, samples, make_windows(samples), make_events(faults))


@pytest.fixture(scope="session")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> RenderedRun:
    """A hostile scenario name and explanation: markup and table separators must come out verbatim."""
    samples, faults = make_samples(), make_faults(latency_recovered=False)
    expectations = [
        expectation("recovery kill-gpu", True, "SLI back within SLO 4s after the kill"),
        expectation("recovery slow-cpu", False, "never recovered: p99 > 250ms | <b>bold</b> & \x1b[31mred"),
    ]
    summary = make_summary("drill<script>alert(1)</script>$x_1$", expectations, faults, samples)
    return _render(tmp_path_factory, summary, samples, make_windows(samples), make_events(faults))


@pytest.fixture(scope="session")
def incomplete_run(tmp_path_factory: pytest.TempPathFactory) -> RenderedRun:
    """Crashed before the load: no samples, no windows, faults only planned; frames without columns."""
    faults = make_faults(latency_recovered=False)
    for fault in faults:
        fault.applied_at = fault.cleared_at = fault.recovery_s = None
    faults[1].error = "proxy refused the toxic"
    expectations = [expectation("recovery kill-gpu", False, "fault kill-gpu was never applied")]
    summary = make_summary(
        "quickstart",
        expectations,
        faults,
        pd.DataFrame(),
        incomplete_reason="stack did not become ready within 30s",
    )
    events = [
        {"t": summary.started_at, "event": "run_started"},
        {"t": summary.started_at + 30.5, "event": "interrupted", "details": "startup timeout"},
    ]
    return _render(tmp_path_factory, summary, pd.DataFrame(), pd.DataFrame(), events)


@pytest.fixture(scope="session")
def ml_run(tmp_path_factory: pytest.TempPathFactory) -> RenderedRun:
    """A bad canary rolled back, a GPU node killed (its breaker flapping) and an income shift detected."""
    samples, faults = make_ml_samples(), make_ml_faults()
    summary = make_summary("ml-drill", [], faults, samples)
    return _render(
        tmp_path_factory,
        summary,
        samples,
        make_windows(samples),
        make_ml_events(faults),
        snapshots=make_snapshots(),
        drift_truth=make_drift_truth(),
    )


@pytest.fixture(scope="session")
def postmortem_run(tmp_path_factory: pytest.TempPathFactory) -> RenderedRun:
    """A failed drill with two faults, their runbooks and the stack's response: every postmortem section
    has something to say (kill-gpu hit a replica with little traffic: luck)."""
    samples, faults = make_samples(), failed_drill_faults()
    assert faults[0].response is not None
    faults[0].response.target_share_before = 0.05
    expectations = [
        result("time_to_detect: kill-gpu <= 2s", "time_to_detect", True, 0.8),
        result("recovery_time: slow-cpu <= 5s", "recovery_time", False, 20.0, "<= 5s"),
    ]
    summary = make_summary("postmortem", expectations, faults, samples)
    return _render(tmp_path_factory, summary, samples, make_windows(samples), make_events(faults))
