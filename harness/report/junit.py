"""JUnit XML so that CI systems show each expectation as a test case next to the unit tests.

An incomplete run is reported as an error test case: CI must not read a drill that never finished as a
run where nothing failed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from harness.report.formatting import fmt_quantity
from harness.report.view import verdict_reason
from harness.verify.results import ExpectationResult, RunSummary

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, even escaped (e.g. ANSI colour codes from a crash message)."""

INCOMPLETE_CASE = "run completed"
HALT_CASE = "safety halt"


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)


def classname(summary: RunSummary) -> str:
    return f"chaosdrill.{summary.scenario}"


def _duration_s(summary: RunSummary) -> float:
    return max(summary.finished_at - summary.started_at, 0.0) if summary.finished_at is not None else 0.0


def _testcase(summary: RunSummary, name: str) -> ET.Element:
    """Expectations are judged after the run from its samples, so a case itself takes no time."""
    return ET.Element("testcase", name=_clean(name), classname=_clean(classname(summary)), time="0.000")


def _expectation_case(summary: RunSummary, result: ExpectationResult) -> ET.Element:
    case = _testcase(summary, result.name)
    if not result.passed:
        message, kind = _clean(result.explanation), _clean(result.metric)
        failure = ET.SubElement(case, "failure", message=message, type=kind)
        failure.text = _clean(
            f"observed {fmt_quantity(result.observed, result.unit)}, threshold {result.threshold}\n"
            f"{result.explanation}"
        )
    return case


def _incomplete_case(summary: RunSummary) -> ET.Element:
    case = _testcase(summary, INCOMPLETE_CASE)
    error = ET.SubElement(case, "error", message=_clean(verdict_reason(summary)), type=summary.verdict)
    what = "did not finish" if summary.verdict == "incomplete" else "did not run as planned"
    error.text = _clean(f"The drill {what}: {verdict_reason(summary)}")
    return case


def _halt_case(summary: RunSummary) -> ET.Element:
    """A halted drill fails its own case, named for the halt, so CI shows why it stopped."""
    case = _testcase(summary, HALT_CASE)
    failure = ET.SubElement(case, "failure", message=_clean(verdict_reason(summary)), type="halted")
    failure.text = _clean(
        f"A safety halt stopped the drill and reverted its faults: {verdict_reason(summary)}"
    )
    return case


def build_junit(summary: RunSummary) -> ET.ElementTree:
    cases = [_expectation_case(summary, result) for result in summary.expectations]
    if summary.verdict in ("incomplete", "error"):
        cases.append(_incomplete_case(summary))
    if summary.verdict == "halted":
        cases.append(_halt_case(summary))
    counts = {
        "tests": str(len(cases)),
        "failures": str(len(summary.failed) + int(summary.verdict == "halted")),
        "errors": str(int(summary.verdict in ("incomplete", "error"))),
        "skipped": "0",
        "time": f"{_duration_s(summary):.3f}",
    }
    root = ET.Element("testsuites", name="chaosdrill", **counts)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_clean(summary.scenario),
        timestamp=datetime.fromtimestamp(summary.started_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        **counts,
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in [
        ("scenario_file", summary.scenario_file),
        ("backend", summary.backend),
        ("seed", str(summary.seed)),
        ("verdict", summary.verdict),
    ]:
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    suite.extend(cases)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, summary: RunSummary) -> Path:
    build_junit(summary).write(path, encoding="utf-8", xml_declaration=True)
    return path
