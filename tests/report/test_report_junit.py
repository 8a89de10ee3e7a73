"""JUnit output parses, counts what it contains and explains every failure."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.report.conftest import RenderedRun


def _suite(run: RenderedRun) -> ET.Element:
    root = ET.parse(run.written["junit.xml"]).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    return suites[0]


def _counts(element: ET.Element) -> tuple[int, int, int]:
    return int(element.get("tests", -1)), int(element.get("failures", -1)), int(element.get("errors", -1))


def test_passed_run_has_one_passing_case_per_expectation(passed_run: RenderedRun) -> None:
    suite = _suite(passed_run)
    cases = suite.findall("testcase")
    assert suite.get("name") == "quickstart"
    assert [c.get("name") for c in cases] == ["recovery kill-gpu", "recovery slow-cpu"]
    assert {c.get("classname") for c in cases} == {"chaosdrill.quickstart"}
    assert _counts(suite) == (2, 0, 0)
    assert not suite.findall(".//failure") and not suite.findall(".//error")
    assert float(suite.get("time", "nan")) == 64.0


def test_failed_expectation_carries_its_explanation(failed_run: RenderedRun) -> None:
    suite = _suite(failed_run)
    assert suite.get("name") == "drill<script>alert(1)</script>$x_1$"
    assert _counts(suite) == (2, 1, 0)
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["recovery slow-cpu"]
    failure = failed[0].find("failure")
    assert failure is not None
    message = failure.get("message", "")
    assert message.startswith("never recovered: p99 > 250ms | <b>bold</b> &")
    assert "\x1b" not in message  # not representable in XML 1.0; replaced, so the file stays parseable
    assert "threshold max 5s" in (failure.text or "")


def test_incomplete_run_is_an_error_not_a_pass(incomplete_run: RenderedRun) -> None:
    root = ET.parse(incomplete_run.written["junit.xml"]).getroot()
    suite = _suite(incomplete_run)
    assert _counts(suite) == (2, 1, 1) == _counts(root)
    errors = suite.findall("testcase/error")
    assert len(errors) == 1
    assert errors[0].get("message") == "stack did not become ready within 30s"
    properties = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert properties["verdict"] == "incomplete"
    assert properties["seed"] == "42"
