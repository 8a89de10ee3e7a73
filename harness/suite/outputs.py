"""A suite's own files beside its drills' run directories: junit.xml with a testsuite per drill, index.md
(also for CI job summaries) and index.html linking each drill's report, and suite.json for tools."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from html import escape as html_escape
from pathlib import Path

from harness.report.html_page import html_document
from harness.report.junit import build_junit
from harness.report.links import Cell, Link, html_table, markdown_table
from harness.report.markdown import escape as md_escape
from harness.scoring import resilience
from harness.suite.runner import NOT_RUN, DrillResult, SuiteResult
from harness.verify.verdict import EXIT_CODES

_COUNTS = ("tests", "failures", "errors", "skipped")


def write_suite_outputs(result: SuiteResult) -> None:
    write_junit(result, result.out_dir / "junit.xml")
    headers, rows, troubled = _index_rows(result)
    title = f"Suite {result.name} — {result.verdict.upper()}"
    summary = _sentence(result)
    markdown = f"# {md_escape(title)}\n\n{md_escape(summary)}\n\n{markdown_table(headers, rows, troubled)}\n"
    (result.out_dir / "index.md").write_text(markdown, encoding="utf-8")
    verdict_class = f"verdict verdict-{result.verdict}"
    body = (
        f'<header class="{verdict_class}"><h1>{html_escape(title)}</h1><p>{html_escape(summary)}</p></header>'
        f"<section>{html_table(headers, rows, troubled)}</section>"
    )
    (result.out_dir / "index.html").write_text(html_document(title, body), encoding="utf-8")
    (result.out_dir / "suite.json").write_text(json.dumps(_json(result), indent=2), encoding="utf-8")


def _sentence(result: SuiteResult) -> str:
    counts: dict[str, int] = {}
    for drill in result.drills:
        key = NOT_RUN if drill.error == NOT_RUN else drill.verdict
        counts[key] = counts.get(key, 0) + 1
    tally = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    return f"{len(result.drills)} drills ({tally}); exit code {result.exit_code}."


def _index_rows(result: SuiteResult) -> tuple[list[str], list[list[Cell]], frozenset[int]]:
    headers = ["#", "Drill", "Tags", "Verdict", "Resilience score (inputs)", "Not met / why", "Report"]
    rows: list[list[Cell]] = []
    for number, drill in enumerate(result.drills, start=1):
        report: Cell = "-"
        if drill.summary is not None:
            report = Link("report", os.path.relpath(drill.run_dir / "report.html", result.out_dir))
        rows.append([
            str(number),
            drill.entry.id or drill.entry.scenario.name,
            ", ".join(drill.entry.tags) or "-",
            NOT_RUN if drill.error == NOT_RUN else drill.verdict.upper(),
            resilience(drill.summary).run.short() if drill.summary else "-",
            _why(drill),
            report,
        ])  # fmt: skip
    troubled = frozenset(i for i, d in enumerate(result.drills) if d.verdict != "pass" or d.history_error)
    return headers, rows, troubled


def _why(drill: DrillResult) -> str:
    reasons = []
    if drill.error is not None:
        reasons.append(drill.error)
    if drill.summary is not None:
        reasons += [e.name for e in drill.summary.failed]
        if drill.summary.incomplete_reason:
            reasons.append(drill.summary.incomplete_reason)
    if drill.history_error is not None:
        reasons.append(f"not recorded in history: {drill.history_error}")
    return "; ".join(reasons) or "-"


def write_junit(result: SuiteResult, path: Path) -> None:
    """One testsuite per drill, named by its id: a drill's own junit.xml, or one error/skipped case."""
    root = ET.Element("testsuites", name=result.name)
    for drill in result.drills:
        root.append(_testsuite(drill))
    for count in _COUNTS:
        root.set(count, str(sum(int(s.get(count, "0")) for s in root)))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _testsuite(drill: DrillResult) -> ET.Element:
    name = drill.entry.id or drill.entry.scenario.stem
    if drill.summary is not None:
        suite = build_junit(drill.summary).getroot().find("testsuite")
        assert suite is not None
        suite.set("name", name)
        return suite
    suite = ET.Element("testsuite", name=name, tests="1", failures="0", time="0.000")
    case = ET.SubElement(suite, "testcase", name="drill ran", classname=f"chaosdrill.{name}", time="0.000")
    if drill.error == NOT_RUN:
        ET.SubElement(case, "skipped", message="the suite was interrupted before this drill")
        suite.set("errors", "0")
        suite.set("skipped", "1")
    else:
        ET.SubElement(case, "error", message=drill.error or "", type="error").text = drill.error
        suite.set("errors", "1")
        suite.set("skipped", "0")
    return suite


def _json(result: SuiteResult) -> dict:
    return {
        "name": result.name,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "drills": [
            {
                "id": d.entry.id,
                "scenario_file": str(d.entry.scenario),
                "overrides": d.entry.overrides,
                "tags": d.entry.tags,
                "verdict": d.verdict,
                "exit_code": EXIT_CODES[d.verdict],
                "run_dir": str(d.run_dir),
                "error": d.error,
                "history_error": d.history_error,
                "resilience": resilience(d.summary).to_dict() if d.summary else None,
            }
            for d in result.drills
        ],
    }
