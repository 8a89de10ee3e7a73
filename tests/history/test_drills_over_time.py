"""Drills over time, end to end: a suite of real drills recorded in PostgreSQL and SQLite, shown by
`history` and `trends`, and a regression gate that catches a drill whose recovery got worse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.history.location import HISTORY_ENV, resolve_history
from harness.history.store import History
from tests.e2e.drills import REPO, chaosdrill, scenario, write_scenario
from tests.postgres_server import create_database
from tests.trends.trends_page_check import check_trends_page

pytestmark = pytest.mark.slow

KILL = {"name": "kill", "kind": "node-kill", "at": "1s", "duration": "2s", "target": "gpu-0"}
SLOW = {"name": "slow", "kind": "latency", "at": "1s", "duration": "2s", "target": "gpu-1",
        "params": {"latency": "800ms"}}  # fmt: skip
SHORT = {"duration": "4s", "users": 3}


def write_suite(folder: Path) -> Path:
    kill = write_scenario(folder, scenario("kill", [KILL], {"errors": ["rate < 2%"], "recovery_time": [
        {"fault": "kill", "max": "3s"}]}, **SHORT))  # fmt: skip
    slow = write_scenario(
        folder, scenario("slow-link", [SLOW], {"errors{fault:slow}": ["rate < 2%"]}, **SHORT)
    )
    suite = {
        "name": "nightly",
        "drills": [
            {"scenario": kill.name, "tags": ["nightly", "failover"]},
            {"scenario": kill.name, "id": "kill-fragile", "tags": ["nightly"],
             "set": ["stack.gateway.profile=fragile"]},
            {"scenario": slow.name, "tags": ["nightly"]},
            {"scenario": slow.name, "id": "never-tonight", "tags": ["weekly"]},
        ],
    }  # fmt: skip
    path = folder / "nightly.suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_a_suite_of_three_drills_is_one_junit_an_index_and_three_recorded_runs(tmp_path, postgres):
    drills = tmp_path / "drills"
    drills.mkdir()
    suite_file = write_suite(drills)
    shared = create_database(postgres)
    out = tmp_path / "suite"
    result = chaosdrill("suite", str(suite_file), "--tag", "nightly", "--out", str(out), "--history", shared,
                        "--stack-version", "abc123", timeout=300)  # fmt: skip
    # The worst drill decides: the fragile stack fails its error-rate expectation.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL: kill-fragile" in result.stdout and "PASS: kill " in result.stdout

    junit = ET.parse(out / "junit.xml").getroot()
    suites = junit.findall("testsuite")
    assert [s.get("name") for s in suites] == ["kill", "kill-fragile", "slow-link"]
    assert (junit.get("tests"), junit.get("errors")) == ("5", "0")
    assert [int(s.get("failures")) > 0 for s in suites] == [False, True, False]
    assert junit.get("failures") == suites[1].get("failures")
    failed = [case.get("name") for case in suites[1].iter("testcase") if case.find("failure") is not None]
    assert "errors: rate < 2%" in failed
    index = (out / "index.md").read_text()
    assert "Suite nightly — FAIL" in index and "[report](02-kill-fragile/report.html)" in index
    assert all((out / d / "report.html").is_file() for d in ("01-kill", "02-kill-fragile", "03-slow-link"))
    assert (out / "index.html").read_text().count('href="0') == 3

    with History(resolve_history(shared)) as history:
        runs = history.recent_runs()
    assert sorted((r.scenario, r.verdict, r.suite, r.stack_version) for r in runs) == [
        ("kill", "fail", "nightly", "abc123"),
        ("kill", "pass", "nightly", "abc123"),
        ("slow-link", "pass", "nightly", "abc123"),
    ]
    shown = chaosdrill("history", "kill", "--history", shared)
    assert shown.returncode == 0 and shown.stdout.count("abc123") == 2 and "(met " in shown.stdout

    # The same runs imported into an SQLite history (a laptop's copy of the team's): the same records.
    local = str(tmp_path / "local.sqlite")
    imported = chaosdrill("history", "import", str(out), "--history", local)
    assert imported.returncode == 0 and "imported 3 runs" in imported.stdout, (
        imported.stdout + imported.stderr
    )
    with History(resolve_history(local)) as history:
        copies = history.recent_runs()
    assert [(r.run_id, r.verdict, r.score, r.stack_version) for r in copies] == [
        (r.run_id, r.verdict, r.score, r.stack_version) for r in runs]  # fmt: skip

    trends = chaosdrill("trends", "--out", str(tmp_path / "trends"), "--history", shared)
    assert trends.returncode == 0, trends.stderr
    check_trends_page(tmp_path / "trends" / "index.html", {"kill": ["kill"], "slow-link": ["slow"]})


GATE = {"regression": [{"metric": "recovery_time", "fault": "kill", "runs": 2, "max_increase": "20%",
                        "max_delta": "2s"}]}  # fmt: skip
LONG_KILL = {**KILL, "duration": "3s"}


def run_in(folder: Path, data: dict, name: str) -> subprocess.CompletedProcess[str]:
    """`chaosdrill run` as a user runs it in their project folder: no history configured."""
    env = {k: v for k, v in os.environ.items() if k != HISTORY_ENV}
    path = write_scenario(folder, data)
    argv = [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(folder / name)]
    return subprocess.run(argv, cwd=folder, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


def gate_result(folder: Path, name: str) -> dict:
    summary = json.loads((folder / name / "summary.json").read_text())
    return next(e for e in summary["expectations"] if e["metric"] == "regression")


def test_a_regression_gate_fails_when_recovery_gets_worse_against_passing_runs(tmp_path):
    data = scenario("gated-kill", [LONG_KILL], GATE, duration="8s", users=4)
    first = run_in(tmp_path, data, "run1")
    # Nothing to compare with yet: not measured, which fails (never a silent pass).
    assert first.returncode == 1 and gate_result(tmp_path, "run1")["status"] == "not measured", first.stdout
    assert "recorded in history reports/history.sqlite" in first.stdout  # the default history
    second = run_in(tmp_path, data, "run2")
    assert "only 1 of the 2 earlier runs" in gate_result(tmp_path, "run2")["explanation"], second.stdout

    same = run_in(tmp_path, data, "run3")
    assert same.returncode == 0, same.stdout + same.stderr
    assert gate_result(tmp_path, "run3")["status"] == "pass"

    fragile = {**data, "stack": {"gateway": {"profile": "fragile"}}}  # no retries, no failover
    worse = run_in(tmp_path, fragile, "run4")
    gate = gate_result(tmp_path, "run4")
    assert worse.returncode == 1 and gate["status"] == "fail", worse.stdout + worse.stderr
    assert "FAIL regression: recovery_time of kill" in worse.stdout
    with History(resolve_history(str(tmp_path / "reports" / "history.sqlite"))) as history:
        assert [r.verdict for r in history.recent_runs("gated-kill")] == ["fail", "pass", "fail", "fail"]
