"""The shipped drill files: each passes against the reference stack with its mechanism on, and fails,
naming the expectation, with that mechanism switched off."""

import json

import pytest

from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

OFF = "stack.gateway.mechanisms.{}.enabled=false"

DRILLS = [
    # (scenario file, mechanism switched off, expectation that must then fail)
    ("gpu_node_kill.yaml", "failover", "recovery_time: kill-gpu <= 3s"),
    ("region_failover.yaml", "failover", "recovery_time: east-partition <= 3s"),
    ("retry_storm.yaml", "retry_budget", "attempts{fault:outage}: mean < 1.5"),
    ("bad_canary_rollback.yaml", "canary_analysis", "rollback: bad-canary <= 10s"),
    ("gpu_gray_failure.yaml", "circuit_breaker", "breaker_opened: gpu-hang <= 3s"),
    ("data_drift.yaml", "drift", "drift_detected: income-shift <= 10s"),
]
POLL_INTERVAL_S = 0.25
STACK_CLOCK = {"drift_detected": ("drift", "alert_since"), "rollback": ("canary", "rolled_back_at")}


@pytest.mark.parametrize(("drill", "mechanism", "failing"), DRILLS, ids=[d[0] for d in DRILLS])
def test_drill_passes_with_its_mechanism(tmp_path, drill, mechanism, failing):
    run = run_scenario_file(tmp_path, drill)
    assert run.code == 0, run.stdout + run.stderr
    expectation = run.expectation(failing)
    assert expectation["passed"]
    assert_all_gone(run.child_pids())
    if expectation["metric"] in STACK_CLOCK:
        assert_agrees_with_stack_clock(run, expectation)


def assert_agrees_with_stack_clock(run, expectation):
    """The harness's observed time (when its poll first saw the change) and the stack's own timestamp
    agree to within one polling interval."""
    section, stamp = STACK_CLOCK[expectation["metric"]]
    fault = next(
        f for f in run.summary["faults"] if expectation["name"].split(": ")[1].startswith(f["name"] + " ")
    )
    states = [json.loads(line) for line in (run.run_dir / "stack_state.jsonl").read_text().splitlines()]
    claimed = next(
        s[section][stamp] for s in states if s[section].get(stamp) and s["polled_at"] >= fault["applied_at"]
    )
    by_stack = claimed - fault["applied_at"]
    assert 0 <= expectation["observed"] - by_stack <= POLL_INTERVAL_S + 0.05, (
        expectation["observed"],
        by_stack,
    )


@pytest.mark.parametrize(("drill", "mechanism", "failing"), DRILLS, ids=[d[0] for d in DRILLS])
def test_drill_fails_without_its_mechanism(tmp_path, drill, mechanism, failing):
    run = run_scenario_file(tmp_path, drill, "--set", OFF.format(mechanism))
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation(failing)["passed"]
    assert f"FAIL {failing}" in run.stdout


def test_quickstart_passes_and_writes_every_report_file(tmp_path):
    run = run_scenario_file(tmp_path, "quickstart.yaml")
    assert run.code == 0, run.stdout + run.stderr
    for name in [
        "summary.json",
        "report.md",
        "report.html",
        "junit.xml",
        "events.jsonl",
        "samples.csv",
        "plots/latency.png",
        "plots/errors.png",
        "plots/traffic_share.png",
        "plots/attempts.png",
    ]:
        assert (run.run_dir / name).is_file(), name
