"""The postmortem sections in the written reports: placed right after the summary, in both formats, and a
fault whose SLO held no longer reads as "recovered after 0.0s"."""

from __future__ import annotations

import re
from pathlib import Path

from harness.report import write_reports
from tests.report.conftest import RenderedRun
from tests.report.markdown_tables import section, table_rows
from tests.report.postmortem_data import POSTMORTEM, fault, response
from tests.report.report_data import make_events, make_samples, make_summary, make_windows


def test_the_postmortem_follows_the_summary_in_both_formats(postmortem_run: RenderedRun) -> None:
    markdown = postmortem_run.text("report.md")
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings[: len(POSTMORTEM) + 2] == ["Summary", *POSTMORTEM, "Expectations"]
    html_headings = re.findall(r"<h2>(.+?)</h2>", postmortem_run.text("report.html"))
    assert html_headings[: len(POSTMORTEM) + 2] == headings[: len(POSTMORTEM) + 2]
    highlighted = "| **slow-cpu** | **latency on cpu-0 at +40.0s** |"  # broke the SLO unnoticed
    assert highlighted in section(markdown, "Response per fault")
    assert "kill-gpu hit gpu-1, which served 5% of answers before it (fair share 25%)." in markdown


def test_a_report_from_before_the_analysis_reads_n_a_where_it_would_go(failed_run: RenderedRun) -> None:
    response = section(failed_run.text("report.md"), "Response per fault")
    assert table_rows(response, "kill-gpu") == [
        ["kill-gpu", "node\\_kill on gpu-1 at +20.3s", "n/a", "n/a", "after 4.00s", "n/a", "—"]
    ]


def test_held_and_unconfirmed_recoveries_are_not_worded_as_measured_ones(tmp_path: Path) -> None:
    """Held: not "recovered after 0.0s"; back too late in the run to confirm: not "never"."""
    samples = make_samples()
    faults = [
        fault(recovery_s=0.0, response=response(slo_held=True, slo_missed_s=0.0)),
        fault("late", recovery_s=None, response=response(recovery_unconfirmed_s=37.0)),
    ]
    summary = make_summary("absorbed", [], faults, samples)
    written = write_reports(tmp_path, summary, samples, make_windows(samples), make_events(faults))
    markdown = written["report.md"].read_text(encoding="utf-8")
    recoveries = (
        "kill-gpu: SLO held throughout; late's recovery is unconfirmed (SLO back after ≥ 37.0s at the end)."
    )
    assert recoveries in section(markdown, "Summary")
    faults_table = section(markdown, "Faults")
    assert table_rows(faults_table, "kill-gpu")[0][6] == "SLO held throughout"
    assert table_rows(faults_table, "late")[0][6] == "unconfirmed (≥ 37.0s)"
    assert "slo\\_recovered" not in section(markdown, "Timeline")  # no recovery mark at the injection
    assert "recovered after" not in markdown and "never" not in faults_table
