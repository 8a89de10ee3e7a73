"""Reports of a stack that sends none of the gateway's headers: nothing is reported it did not measure.

Before, such a run showed "(no replica) 100%" as its traffic share and "0 requests were degraded", and a
"not measured" expectation read as an ordinary FAIL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report import write_reports
from harness.verify.results import ExpectationResult
from tests.report.markdown_tables import table_rows
from tests.report.report_data import make_events, make_faults, make_samples, make_summary, make_windows


def _headerless_run(tmp_path: Path) -> dict[str, Path]:
    samples = make_samples()
    samples[["replica", "version"]] = ""
    samples[["attempts", "degraded"]] = -1
    missing = ExpectationResult.not_measured(
        "degraded: rate < 1%", "degraded", "rate < 1%", "%", "no header X-Degraded on any of 2,400 responses"
    )
    faults = make_faults(latency_recovered=True)
    summary = make_summary("bare-stack", [missing], faults, samples)
    summary.traffic_share = {}
    return write_reports(tmp_path / "run", summary, samples, make_windows(samples), make_events(faults))


def test_a_headerless_stack_gets_no_made_up_figures(tmp_path: Path) -> None:
    written = _headerless_run(tmp_path)
    markdown = written["report.md"].read_text(encoding="utf-8")
    assert table_rows(markdown, "degraded: rate \\< 1%") == [
        [
            "degraded: rate \\< 1%",
            "degraded",
            "n/a",
            "rate \\< 1%",
            "NOT MEASURED",
            "not measured: no header X-Degraded on any of 2,400 responses",
        ]
    ]
    traffic = markdown.split("\n## Traffic share\n", 1)[1].split("\n## ", 1)[0]
    assert "Not reported: no header X-Served-By on any of 2,400 responses." in traffic
    assert "Degraded answers not reported: no header X-Degraded on any of 2,400 responses." in traffic
    assert "(no replica)" not in traffic and "|" not in traffic
    failure = ET.parse(written["junit.xml"]).getroot().find(".//testcase/failure")
    assert failure is not None
    assert failure.get("message") == "not measured: no header X-Degraded on any of 2,400 responses"


def test_degraded_share_counts_only_responses_that_said(tmp_path: Path) -> None:
    """Of 2,400 responses, 1,200 carry X-Degraded and 300 of those say the fallback answered."""
    samples = make_samples()
    samples["degraded"] = [(-1, 0, -1, 0, -1, 0, -1, 1)[i % 8] for i in range(len(samples))]
    faults = make_faults(latency_recovered=True)
    summary = make_summary("partial-headers", [], faults, samples)
    written = write_reports(tmp_path / "run", summary, samples, make_windows(samples), make_events(faults))
    markdown = written["report.md"].read_text(encoding="utf-8")
    assert "300 of 1,200 responses with header X-Degraded (25.0%) were answered by the fallback" in markdown
