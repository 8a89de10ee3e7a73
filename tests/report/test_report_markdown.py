"""The Markdown report reads as a postmortem: verdict, expectations, timeline, faults, figures, plots."""

from __future__ import annotations

import re
from pathlib import Path

from harness.report import write_reports
from tests.report.conftest import RenderedRun
from tests.report.markdown_tables import section, table_rows
from tests.report.report_data import make_samples, make_summary, make_windows


def test_passed_report_leads_with_the_verdict(passed_run: RenderedRun) -> None:
    markdown = passed_run.text("report.md")
    assert markdown.startswith("# Drill report: quickstart — PASS\n")
    assert "**Verdict: PASS** — all 2 expectations met" in markdown
    assert "What went wrong" not in markdown
    assert table_rows(markdown, "recovery kill-gpu") == [
        [
            "recovery kill-gpu",
            "recovery\\_time",
            "4 s",
            "max 5s",
            "PASS",
            "SLI back within SLO 4s after the kill",
        ]
    ]


def test_passed_report_has_every_section_and_plot(passed_run: RenderedRun) -> None:
    markdown = passed_run.text("report.md")
    for heading in ("Summary", "Expectations", "Timeline", "Faults", "SLO", "Traffic share", "Plots", "Run"):
        assert f"\n## {heading}\n" in markdown
    for plot in ("latency", "errors", "traffic_share", "attempts"):
        assert f"](plots/{plot}.png)" in markdown
    assert "an open-model load of 40 requests/s for 60.0s" in markdown
    assert "kill-gpu recovered after 4.0s" in markdown


def test_timeline_is_relative_to_load_start(passed_run: RenderedRun) -> None:
    markdown = passed_run.text("report.md")
    assert table_rows(markdown, "-2.0s") == [["-2.0s", "run\\_started", ""]]
    assert table_rows(markdown, "+20.3s")[0][1:] == [
        "fault\\_applied",
        "fault kill-gpu (node\\_kill) on gpu-1",
    ]
    assert table_rows(markdown, "+24.3s") == [
        ["+24.3s", "slo\\_recovered", "fault kill-gpu: SLI back within SLO"]
    ]


def test_faults_table_shows_plan_reality_and_recovery(failed_run: RenderedRun) -> None:
    faults = section(failed_run.text("report.md"), "Faults")
    kill = table_rows(faults, "kill-gpu")[0]
    assert kill[1:7] == ["node\\_kill", "gpu-1", "+20.0s → +35.0s", "+20.3s", "+35.2s", "4.0s"]
    slow = table_rows(faults, "slow-cpu")[0]
    assert slow[6] == "never"


def test_failed_report_explains_what_went_wrong(failed_run: RenderedRun) -> None:
    markdown = failed_run.text("report.md")
    assert "**Verdict: FAIL** — 1 of 2 expectations failed: recovery slow-cpu" in markdown
    impact = section(markdown, "What went wrong")
    assert "recovery slow-cpu: never recovered" in impact
    assert "After fault slow-cpu (latency) the SLI never came back within the SLO." in impact
    assert "SLO missed from +40.0s to +50.0s (10 windows)." in impact
    assert re.search(r"\d+ requests failed: connect \d+, timeout \d+\.", impact)
    failed_row = table_rows(markdown, "recovery slow-cpu")[0]
    assert failed_row[4] == "FAIL"
    assert "p99 \\> 250ms \\| \\<b\\>bold\\</b\\>" in failed_row[5]
    assert "<script>" not in markdown
    assert markdown.startswith("# Drill report: drill\\<script\\>alert(1)\\</script\\>\\$x\\_1\\$ — FAIL\n")


def test_incomplete_report_says_why_and_that_nothing_was_recorded(incomplete_run: RenderedRun) -> None:
    markdown = incomplete_run.text("report.md")
    assert "**Verdict: INCOMPLETE** — stack did not become ready within 30s" in markdown
    assert "The run is incomplete: stack did not become ready within 30s." in markdown
    assert "No requests were recorded" in markdown
    assert "No requests were served." in markdown
    faults = section(markdown, "Faults")
    assert table_rows(faults, "kill-gpu")[0][4:7] == ["not applied", "not cleared", "n/a"]
    assert "- Fault slow-cpu (latency) went wrong in the harness: proxy refused the toxic" in markdown
    assert table_rows(faults, "slow-cpu")[0][-1] == "proxy refused the toxic"
    assert "| **slow-cpu** |" in markdown  # highlighted: the fault went wrong
    assert table_rows(markdown, "+30.5s") == [["+30.5s", "interrupted", "startup timeout"]]


def test_bare_run_without_faults_events_or_expectations(tmp_path: Path) -> None:
    samples = make_samples()
    summary = make_summary("bare", [], [], samples)
    written = write_reports(tmp_path, summary, samples, make_windows(samples), [])
    markdown = written["report.md"].read_text(encoding="utf-8")
    assert "**Verdict: PASS** — no expectations were defined" in markdown
    for note in ("No expectations were evaluated.", "No events were recorded.", "No faults were planned."):
        assert note in markdown
    assert "Faults: none." in markdown
