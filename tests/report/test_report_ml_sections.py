"""Model versions, data drift and per-node breaker marks: shown with content, absent without it."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import imread

from harness.report import write_reports
from harness.report.drift_comparison import DriftComparison, compare_drift
from harness.report.drift_plot import render_drift_plot
from harness.report.formatting import fmt_quantity
from harness.report.plots import PlotInputs, render_plot
from harness.report.stack_events import breaker_changes, canary_changes
from harness.report.timeline import fault_spans
from tests.report.conftest import RenderedRun
from tests.report.markdown_tables import table_rows
from tests.report.ml_data import (
    ALERT_FROM,
    ALERT_SINCE,
    ALERT_UNTIL,
    DEPLOY_AT,
    DRIFT_AT,
    ROLLBACK_REASON,
    ROLLED_BACK_AT,
    make_drift_truth,
    make_ml_events,
    make_ml_faults,
    make_ml_samples,
    make_snapshots,
)
from tests.report.report_data import LOAD_START, make_samples, make_summary, make_windows

ML_PLOTS = ("plots/versions.png", "plots/drift.png")


def _section(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_ml_run_writes_both_plots_as_real_images(ml_run: RenderedRun) -> None:
    for name in ML_PLOTS:
        assert ml_run.written[name] == ml_run.run_dir / name
        pixels = imread(ml_run.written[name])
        rgb = (pixels[..., :3] * 255).astype(np.uint32)
        assert len(np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])) > 50, f"{name} blank"


def test_versions_table_counts_requests_and_times_the_rollback(ml_run: RenderedRun) -> None:
    markdown = ml_run.text("report.md")
    section = _section(markdown, "Model versions")
    assert "](plots/versions.png)" in section
    bad = table_rows(section, "v2-bad")[0]
    served = int((make_ml_samples()["version"] == "v2-bad").sum())
    assert bad[1] == f"{served:,}" and served > 0
    # The stack's own timestamps: deployed_at and rolled_back_at, not when the harness saw them.
    assert bad[3:7] == [
        f"+{DEPLOY_AT:.1f}s (bad-canary)",
        f"+{ROLLED_BACK_AT:.1f}s ({ROLLED_BACK_AT - DEPLOY_AT:.1f}s after deploy)",
        "",
        ROLLBACK_REASON,
    ]
    assert table_rows(section, "v1")[0][3:] == ["", "", "", ""]
    shares = [
        float(row[2].rstrip("%"))
        for row in (table_rows(section, v)[0] for v in ("v1", "v2-bad", "(no version)"))
    ]
    assert sum(shares) == pytest.approx(100.0, abs=0.02)


def test_drift_table_compares_sent_and_detected_per_drifted_feature(ml_run: RenderedRun) -> None:
    section = _section(ml_run.text("report.md"), "Data drift")
    assert "](plots/drift.png)" in section
    assert table_rows(section, "income\\_k") == [
        ["income\\_k", "3", "2.5", "1e-30", "1e-40", "+40.0s", "+41.0s"]
    ]
    assert not table_rows(section, "age")  # never over 0.1: not a drifted feature
    assert (
        f"drift alert was seen raised at +{ALERT_FROM:.1f}s (the stack's own alert\\_since: "
        f"+{ALERT_SINCE:.1f}s), {ALERT_FROM - DRIFT_AT:.1f}s after income-shift was injected; "
        f"it cleared at +{ALERT_UNTIL:.1f}s." in section
    )
    assert "employment (up to 30.0% of a window)" in section


def test_breaker_changes_are_listed_per_node(ml_run: RenderedRun) -> None:
    section = _section(ml_run.text("report.md"), "Traffic share")
    assert (
        "- Breaker of gpu-1: open at +21.0s, half-open at +26.0s, open at +26.5s, closed at +36.0s."
        in section
    )


def test_html_renders_the_same_sections_with_images_inlined(ml_run: RenderedRun) -> None:
    html = ml_run.text("report.html")
    for title in ("Model versions", "Data drift"):
        assert f"<h2>{title}</h2>" in html
    sources = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    inlined = {base64.b64decode(source) for source in sources}
    assert {ml_run.written[name].read_bytes() for name in ML_PLOTS} <= inlined
    assert ROLLBACK_REASON in html


def test_nothing_to_show_means_no_section_and_no_file(passed_run: RenderedRun) -> None:
    """One model version, no canary, no stack state, no drift truth: the run-wide report only."""
    markdown = passed_run.text("report.md")
    for name in ML_PLOTS:
        assert name not in passed_run.written and not (passed_run.run_dir / name).exists()
    assert "## Model versions" not in markdown and "## Data drift" not in markdown
    assert "Breaker of" not in markdown


def test_calm_stack_state_and_truth_add_nothing(tmp_path: Path) -> None:
    """Polled scores and drift truth that never cross the line, no alert and no drift fault: no section."""
    samples = make_samples()
    calm = [{**s, "drift": {**s["drift"], "alert": False}} for s in make_snapshots()]
    for snapshot in calm:
        snapshot["drift"]["scores"] = {"age": {"psi": 0.01, "ks": 0.02, "ks_pvalue": 0.7}}
    summary = make_summary("calm", [], [], samples)
    written = write_reports(
        tmp_path,
        summary,
        samples,
        make_windows(samples),
        [],
        snapshots=calm,
        drift_truth=make_drift_truth(False),
    )
    assert not set(ML_PLOTS) & set(written)
    assert not (tmp_path / "plots" / "drift.png").exists()
    assert "## Data drift" not in written["report.md"].read_text(encoding="utf-8")


def test_drift_fault_without_drift_is_reported_without_a_plot(tmp_path: Path) -> None:
    """The injection changed nothing measurable and the stack never alerted: worth saying, nothing to plot."""
    samples = make_samples()
    faults = [f for f in make_ml_faults() if f.kind == "data-drift"]
    summary = make_summary("quiet-drift", [], faults, samples)
    quiet = [{**s, "drift": {"alert": False, "alert_since": None, "scores": {}}} for s in make_snapshots()]
    written = write_reports(
        tmp_path,
        summary,
        samples,
        make_windows(samples),
        [],
        snapshots=quiet,
        drift_truth=make_drift_truth(False),
    )
    section = _section(written["report.md"].read_text(encoding="utf-8"), "Data drift")
    assert "The stack's drift alert never fired." in section
    assert "No feature drifted, as sent or as detected." in section
    assert "plots/drift.png" not in written and "|" not in section


def test_drift_without_polled_state_says_detection_is_unknown() -> None:
    faults = make_ml_faults()
    summary = make_summary("s", [], faults, make_samples())
    drift = compare_drift(fault_spans(summary, 60.0), None, make_drift_truth(), LOAD_START)
    assert isinstance(drift, DriftComparison) and not drift.polled
    assert [f.feature for f in drift.features] == ["income_k"]
    assert drift.features[0].max_psi_detected is None and drift.detected.empty
    assert compare_drift([], None, None, LOAD_START) is None


def test_drift_plot_has_one_panel_per_drifted_feature() -> None:
    """Detected-only drift counts too: a monitor that alarms on a feature that did not move must show."""
    snapshots = make_snapshots()
    for snapshot in snapshots:
        if snapshot["drift"]["scores"]:
            snapshot["drift"]["scores"]["age"]["psi"] = 0.4
            snapshot["drift"]["scores"]["employment"]["psi"] = 0.2
    summary = make_summary("s", [], make_ml_faults(), make_samples())
    drift = compare_drift(fault_spans(summary, 60.0), snapshots, make_drift_truth(), LOAD_START)
    assert drift is not None
    assert [f.feature for f in drift.features] == ["age", "income_k", "employment"]
    figure = render_drift_plot(drift, 60.0, "s")
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["age", "income_k", "employment"]
    assert len(figure.axes) == 4  # two columns, the fourth cell hidden


def test_stack_events_use_the_stacks_own_times() -> None:
    faults = make_ml_faults()
    events = make_ml_events(faults)
    deployed, rolled_back = canary_changes(events, faults, LOAD_START)
    assert (deployed.change, deployed.version, deployed.fault) == ("deployed", "v2-bad", "bad-canary")
    assert deployed.t_s == pytest.approx(DEPLOY_AT)  # deployed_at, not fault_applied's DEPLOY_AT + 0.05
    assert rolled_back.t_s == pytest.approx(ROLLED_BACK_AT) and rolled_back.reason == ROLLBACK_REASON
    unnamed = [{"t": LOAD_START + 14.0, "event": "canary_promoted", "details": {}}]
    promoted = canary_changes(events + unnamed, faults, LOAD_START)[-1]
    assert (promoted.change, promoted.version, promoted.t_s) == ("promoted", "v2-bad", pytest.approx(14.0))
    states = [(c.t_s, c.node, c.state) for c in breaker_changes(events, LOAD_START)]
    assert states == [(21.0, "gpu-1", "open"), (26.0, "gpu-1", "half-open"), (26.5, "gpu-1", "open"),
                      (36.0, "gpu-1", "closed")]  # fmt: skip


def test_traffic_plot_marks_breakers_on_their_node_band_and_names_the_faulted_node() -> None:
    samples, faults = make_ml_samples(), make_ml_faults()
    summary = make_summary("s", [], faults, samples)
    events = make_ml_events(faults)
    spans = fault_spans(summary, 60.0)
    breakers = breaker_changes(events, LOAD_START)
    inputs = PlotInputs(summary, samples, make_windows(samples), spans, 60.0, breakers, [])
    ax = render_plot("traffic_share", inputs).axes[0]
    marked = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    closed = marked[np.isclose(marked[:, 0], 36.0)]
    window = samples[(samples["t_rel"] >= 36.0) & (samples["t_rel"] < 37.0)]
    shares = window["replica"].value_counts(normalize=True).reindex(["cpu-0", "cpu-1", "gpu-0", "gpu-1"])
    middle = (shares.cumsum()["gpu-1"] - shares["gpu-1"] / 2) * 100
    assert closed[:, 1].tolist() == [pytest.approx(middle)]
    texts = [t.get_text() for t in ax.texts]
    assert " kill-gpu (gpu-node-kill on gpu-1)" in texts
    assert texts.count("gpu-1") == len(breakers)


@pytest.mark.parametrize(
    ("load", "sentence"),
    [
        (
            {"mode": "closed", "users": 8, "rate": None, "duration_s": 30.0, "started_at": 100.0,
             "stopped_at": 130.04, "sent": 12927, "completed": 12900, "late": 0, "not_sent": 27,
             "interrupted": True},
            "a closed-model load of 8 users for 30.0s, which ran for 30.0s, sent 12,927 requests "
            "(12,900 completed, 0 late, 27 not sent) and was interrupted",
        ),
        ({"mode": "open", "rate": 5, "duration_s": 10.0}, "an open-model load of 5 requests/s for 10.0s"),
        (
            {"mode": "closed", "users": 2, "duration_s": 10.0, "sent": 900,
             "labels": {"delay_s": 3.0, "scheduled": 890, "accepted": 700, "unmatched": 2, "failed": 0,
                        "not_due": 190}},
            "a closed-model load of 2 users for 10.0s, which sent 900 requests and posted 700 answers' "
            "labels 3.0s late (2 unmatched by the stack, 190 still due when the load ended, never sent)",
        ),
        ({}, "not recorded"),
    ],
)  # fmt: skip
def test_load_reads_as_a_sentence(load: dict[str, object], sentence: str, tmp_path: Path) -> None:
    samples = make_samples()
    summary = make_summary("load", [], [], samples)
    summary.load = load
    markdown = write_reports(tmp_path, summary, samples, make_windows(samples), [])["report.md"].read_text()
    assert f"Load: {sentence}." in markdown
    assert table_rows(markdown, "Load") == [["Load", sentence]]
    assert "started\\_at=" not in markdown


def test_percent_expectations_are_already_percentages() -> None:
    assert fmt_quantity(0.5, "%") == "0.5%"
    assert fmt_quantity(96.66666, "%") == "96.67%"
    assert fmt_quantity(float("nan"), "%") == "n/a"


def test_a_load_the_safety_halt_stopped_is_not_called_interrupted(tmp_path: Path) -> None:
    samples = make_samples()
    summary = make_summary("halted", [], [], samples)
    summary.load = {"mode": "closed", "users": 8, "duration_s": 30.0, "started_at": 100.0,
                    "stopped_at": 112.0, "sent": 500, "interrupted": True}  # fmt: skip
    summary.verdict, summary.incomplete_reason = "halted", "error rate 40% over 2s"
    markdown = write_reports(tmp_path, summary, samples, make_windows(samples), [])["report.md"].read_text()
    assert "ran for 12.0s, sent 500 requests and was stopped early by the safety halt." in markdown
