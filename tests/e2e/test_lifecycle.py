"""Nothing is lost and nothing is left behind: Ctrl-C, a SIGKILLed harness, bad input at start-up."""

import signal
import socket
import time

import pytest

from tests.e2e.drills import (
    Run,
    assert_all_gone,
    chaosdrill,
    run_drill,
    scenario,
    start_drill,
    wait_for_event,
    write_scenario,
)

pytestmark = pytest.mark.slow

KILL = {"name": "kill", "kind": "node-kill", "at": "2s", "duration": "3s", "target": "gpu-0"}
SLOW = {"name": "slow", "kind": "latency", "at": "1s", "duration": "25s", "target": "cpu-0",
        "params": {"latency": "50ms"}}  # fmt: skip


def test_ctrl_c_clears_faults_stops_everything_and_keeps_a_partial_report(tmp_path):
    process, run_dir = start_drill(tmp_path, scenario("interrupted", [SLOW], {"errors": ["rate < 1%"]},
                                                      duration="30s"))  # fmt: skip
    wait_for_event(run_dir, "fault_applied")
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    run = Run(process.returncode, stdout, stderr, run_dir)
    assert run.code == 130, stdout + stderr
    assert "interrupted by SIGINT" in stderr and "Traceback" not in stderr
    summary = run.summary
    assert summary["verdict"] == "incomplete"
    assert summary["faults"][0]["cleared_at"] is not None  # the toxic was removed before teardown
    assert summary["slo"]["requests"] > 0  # partial samples kept and verified
    assert "INCOMPLETE" in (run_dir / "report.md").read_text()
    assert "error" in (run_dir / "junit.xml").read_text()
    events = [e["event"] for e in run.events]
    assert events.index("fault_cleared") < events.index("stack_stopped")
    assert_all_gone(run.child_pids())


def test_sigkilled_harness_leaves_no_orphans(tmp_path):
    process, run_dir = start_drill(tmp_path, scenario("killed", [SLOW], {}, duration="30s"))
    wait_for_event(run_dir, "load_started")
    process.kill()
    process.communicate(timeout=10)
    assert_all_gone(Run(0, "", "", run_dir).child_pids(), timeout=15)


def test_gateway_port_in_use_is_bad_input_and_nothing_keeps_running(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = run_drill(tmp_path, scenario("busy", [KILL], {}, stack={"port": port}))
    assert run.code == 2
    assert run.stderr.strip() == f"chaosdrill: error: stack.port: 127.0.0.1:{port} is already in use"
    assert run.summary["verdict"] == "error"  # the drill did not run as planned: never a pass
    assert_all_gone(run.child_pids())


def test_bad_scenario_exits_2_with_one_line(tmp_path):
    data = scenario("bad", [dict(KILL, target="gpu-7")], {})
    result = chaosdrill("run", str(write_scenario(tmp_path, data)), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "faults[0] (kill).target: unknown node 'gpu-7'" in result.stderr
    assert not (tmp_path / "run").exists()  # validation happens before anything starts
