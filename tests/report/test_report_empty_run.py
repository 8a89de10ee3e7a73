"""A run that failed before its first sample and had no faults still renders, without a word on stderr."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from harness.report import write_reports
from tests.report.report_data import make_summary


def test_a_run_without_samples_or_faults_renders_without_warnings(tmp_path: Path) -> None:
    """matplotlib warned "No artists with labels found to put in legend" before the run's one-line error."""
    summary = make_summary("busy-port", [], [], pd.DataFrame(), incomplete_reason="stack.port: in use")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = write_reports(tmp_path / "run", summary, pd.DataFrame(), pd.DataFrame(), [])
    assert (tmp_path / "run" / "plots" / "latency.png") in written.values()
