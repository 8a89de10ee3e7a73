"""The report's answer-quality section: per model version, accuracy and mean absolute error against the
ground truth the load recorded, with its plot; only for drills that recorded one."""

from __future__ import annotations

import numpy as np

from harness.load.truth import format_truth
from harness.report import write_reports
from tests.report.report_data import make_events, make_faults, make_samples, make_summary, make_windows


def with_quality(samples):
    """v1 answers every row right; from 30 s on, answers named v2 get every fifth row wrong."""
    truth = np.tile([0.2, 0.7, 0.9, 0.1, 0.6], (len(samples), 1))
    wrong = (samples["t_rel"].to_numpy() >= 30)[:, None] & (np.arange(5) == 0)
    prediction = np.where(wrong, 1 - truth, truth)
    version = np.where(samples["t_rel"] >= 30, "v2", samples["version"])
    return samples.assign(
        version=np.where(samples["replica"] == "", "", version),
        prediction=[format_truth(row) for row in prediction],
        truth=[format_truth(row) for row in truth],
    )


def test_quality_per_version_is_reported_with_its_plot(tmp_path):
    samples = with_quality(make_samples())
    faults = make_faults(latency_recovered=True)
    summary = make_summary("quality", [], faults, samples)
    written = write_reports(tmp_path, summary, samples, make_windows(samples), make_events(faults))
    assert "plots/quality.png" in written and (tmp_path / "plots/quality.png").stat().st_size > 10_000
    markdown = (tmp_path / "report.md").read_text()
    section = markdown.split("## Answer quality\n", 1)[1].split("\n## ", 1)[0]
    scored = {version: int((samples["version"] == version).sum()) * 5 for version in ("v1", "v2", "")}
    assert f"| v1 | {scored['v1']:,} | 100.00% | 0 |" in section
    assert f"| v2 | {scored['v2']:,} | 80.00% | 0.12 |" in section  # |0.8 - 0.2| on one row in five
    assert f"| (not named) | {scored['']:,} | 100.00% | 0 |" in section  # failed: no version, still scored
    assert "![Accuracy against the ground truth, per model version](plots/quality.png)" in section


def test_no_ground_truth_no_section(tmp_path):
    samples = make_samples()
    summary = make_summary("plain", [], make_faults(latency_recovered=True), samples)
    write_reports(
        tmp_path, summary, samples, make_windows(samples), make_events(make_faults(latency_recovered=True))
    )
    assert "## Answer quality" not in (tmp_path / "report.md").read_text()
    assert not (tmp_path / "plots/quality.png").exists()
