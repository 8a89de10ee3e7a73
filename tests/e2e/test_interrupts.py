"""Ctrl-C and SIGTERM at every phase of a run: exit 130, an incomplete report, nothing left behind.

Phases the drill cannot be paused in by itself are made to last: a Toxiproxy server stopped with SIGSTOP
holds the harness inside a fault's apply or clear (its API call hangs) until the signal has landed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from toxiproxy import Toxiproxy

from tests.e2e.drills import (
    REPO,
    Run,
    assert_all_gone,
    events_of,
    scenario,
    start_drill,
    wait_for_event,
)

pytestmark = pytest.mark.slow

SLOW = {"name": "slow", "kind": "latency", "at": "2s", "duration": "2s", "target": "cpu-0",
        "params": {"latency": "20ms"}}  # fmt: skip


def finish(process: subprocess.Popen[str], run_dir: Path, children: list[int]) -> Run:
    stdout, stderr = process.communicate(timeout=90)
    run = Run(process.returncode, stdout, stderr, run_dir)
    assert "Traceback" not in stderr, stderr
    assert_all_gone([*children, *run.child_pids()])
    return run


def assert_incomplete(run: Run, reason: str) -> None:
    assert run.code == 130, run.stdout + run.stderr
    summary = run.summary
    assert summary["verdict"] == "incomplete"
    assert reason in summary["incomplete_reason"], summary["incomplete_reason"]
    assert "INCOMPLETE" in (run.run_dir / "report.md").read_text()
    assert 'type="incomplete"' in (run.run_dir / "junit.xml").read_text()
    assert run.stdout.startswith("INCOMPLETE: ")


def children_of(process: subprocess.Popen[str]) -> list[int]:
    try:
        return [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_ctrl_c_during_start_up_imports_is_one_line_and_130(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text((REPO / "scenarios" / "quickstart.yaml").read_text())
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(tmp_path / "run")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(0.6)  # inside main(), importing the runner (pandas, matplotlib...)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and "interrupted by SIGINT" in stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_stack_start_up(tmp_path: Path, signum: int) -> None:
    process, run_dir = start_drill(tmp_path, scenario("start", [SLOW], {"errors": ["rate < 1%"]}))
    wait_for_event(run_dir, "run_started", poll_s=0.01)
    time.sleep(0.3)
    children = children_of(process)
    process.send_signal(signum)
    run = finish(process, run_dir, children)
    assert_incomplete(run, f"interrupted by {signal.Signals(signum).name} during stack start-up")


@pytest.mark.parametrize("phase", ["apply", "clear"])
def test_ctrl_c_while_a_fault_is_being_applied_or_cleared(
    tmp_path: Path, phase: str, toxiproxy_process: tuple[subprocess.Popen[str], str]
) -> None:
    """Regression: an interrupt during apply was swallowed as a fault error and the drill ran on to PASS."""
    proxy_server, url = toxiproxy_process
    data = scenario("faulty", [SLOW], {"errors": ["rate < 1%"]}, toxiproxy={"url": url})
    process, run_dir = start_drill(tmp_path, data)
    load_started = wait_for_event(run_dir, "load_started")["t"]
    action_at = load_started + (2.0 if phase == "apply" else 4.0)
    time.sleep(max(0.0, action_at - 0.5 - time.time()))
    os.kill(proxy_server.pid, signal.SIGSTOP)  # the harness's next call to the proxy API hangs
    time.sleep(max(0.0, action_at + 1.0 - time.time()))
    children = children_of(process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    os.kill(proxy_server.pid, signal.SIGCONT)
    run = finish(process, run_dir, children)
    doing = "applying" if phase == "apply" else "clearing"
    assert_incomplete(run, f"interrupted by SIGINT while {doing} fault slow")
    assert [e["event"] for e in events_of(run_dir)].count("fault_cleared") == 1  # undone in the teardown
    client = Toxiproxy()
    client.update_api_consumer("127.0.0.1", int(url.rsplit(":", 1)[1]))
    assert client.proxies() == {}  # the run removed its proxies, toxic and all


def test_second_ctrl_c_during_teardown_is_noted_and_the_wind_down_completes(tmp_path: Path) -> None:
    process, run_dir = start_drill(tmp_path, scenario("teardown", [SLOW], {}, duration="6s"))
    wait_for_event(run_dir, "fault_applied")
    children = children_of(process)
    process.send_signal(signal.SIGINT)
    wait_for_event(run_dir, "teardown_started", poll_s=0.01)
    process.send_signal(signal.SIGINT)
    run = finish(process, run_dir, children)
    assert_incomplete(run, "interrupted by SIGINT during the drill; interrupted by SIGINT during teardown")
    assert "SIGINT noted; finishing the wind-down" in run.stderr
    events = [e["event"] for e in run.events]
    assert events.index("fault_cleared") < events.index("stack_stopped") < events.index("run_finished")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_the_report_is_written_still_gives_the_whole_report(tmp_path: Path, signum: int) -> None:
    """Regression: no report.md/html/junit, a traceback or a silent 143, and summary.json said "pass"."""
    process, run_dir = start_drill(
        tmp_path, scenario("report", [SLOW], {"errors": ["rate < 1%"]}, duration="5s")
    )
    children = children_of_when(process, run_dir, "load_started")
    wait_for_event(run_dir, "stack_stopped", poll_s=0.005)
    process.send_signal(signum)
    run = finish(process, run_dir, children)
    assert_incomplete(run, f"interrupted by {signal.Signals(signum).name} while the report was written")
    for name in ("report.html", "junit.xml", "plots/latency.png", "windows.csv"):
        assert (run_dir / name).stat().st_size > 0, name
    assert [e["name"] for e in run.summary["expectations"]] == ["errors: rate < 1%"]


def children_of_when(process: subprocess.Popen[str], run_dir: Path, event: str) -> list[int]:
    wait_for_event(run_dir, event)
    return children_of(process)
