"""Ctrl-C during a suite: the running drill winds down, the rest are not run, the index says so, exit 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.drills import REPO, scenario, wait_for_event, write_scenario

pytestmark = pytest.mark.slow


def test_an_interrupted_suite_reports_the_drill_incomplete_and_the_rest_not_run(tmp_path):
    drills = tmp_path / "drills"
    drills.mkdir()
    for name in ("a-first", "b-second"):
        write_scenario(drills, scenario(name, [], {"errors": ["rate < 1%"]}, duration="20s", users=2))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "harness.cli", "suite", str(drills), "--out", str(out)]
    suite = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_event(out / "01-a-first", "load_started")
    suite.send_signal(signal.SIGINT)
    stdout, stderr = suite.communicate(timeout=120)
    assert suite.returncode == 130, stdout + stderr
    assert "INCOMPLETE: a-first" in stdout and "NOT RUN: b-second" in stdout
    index = (out / "index.md").read_text()
    assert "Suite drills — INCOMPLETE" in index and "| **2** | **b-second** | **-** | **not run** |" in index
    junit = ET.parse(out / "junit.xml").getroot()
    assert [s.get("name") for s in junit.findall("testsuite")] == ["a-first", "b-second"]
    assert junit.find("testsuite[@name='b-second']/testcase/skipped") is not None
    assert json.loads((out / "suite.json").read_text())["exit_code"] == 130
    assert not (out / "02-b-second").exists()
