"""The shipped drill files and the mechanism each one verifies.

Every drill passes with its mechanism on both backends (tests/e2e locally, tests/docker against real
containers) and fails, naming the expectation, on the local backend with the mechanism switched off.
"""

from __future__ import annotations

import json

OFF = "stack.gateway.mechanisms.{}.enabled=false"

DRILLS = [
    # (scenario file, mechanism it verifies, expectation that fails without it)
    ("gpu_node_kill.yaml", "failover", "recovery_time: kill-gpu <= 3s"),
    ("region_failover.yaml", "failover", "recovery_time: east-partition <= 3s"),
    ("retry_storm.yaml", "retry_budget", "attempts{fault:outage}: mean < 1.5"),
    ("bad_canary_rollback.yaml", "canary_analysis", "rollback: bad-canary <= 10s"),
    ("gpu_gray_failure.yaml", "circuit_breaker", "breaker_opened: gpu-hang <= 3s"),
    ("data_drift.yaml", "drift", "drift_detected: income-shift <= 10s"),
]
IDS = [drill[0] for drill in DRILLS]

POLL_INTERVAL_S = 0.25
STACK_CLOCK = {"drift_detected": ("drift", "alert_since"), "rollback": ("canary", "rolled_back_at")}


def assert_agrees_with_stack_clock(run, expectation: dict) -> None:
    """The harness's observed time (when its poll first saw the change) and the stack's own timestamp
    agree to within one polling interval."""
    if expectation["metric"] not in STACK_CLOCK:
        return
    section, stamp = STACK_CLOCK[expectation["metric"]]
    fault_name = expectation["name"].split(": ")[1].split(" ")[0]
    fault = next(f for f in run.summary["faults"] if f["name"] == fault_name)
    states = [json.loads(line) for line in (run.run_dir / "stack_state.jsonl").read_text().splitlines()]
    claimed = next(
        s[section][stamp] for s in states if s[section].get(stamp) and s["polled_at"] >= fault["applied_at"]
    )
    by_stack = claimed - fault["applied_at"]
    assert 0 <= expectation["observed"] - by_stack <= POLL_INTERVAL_S + 0.05, (
        expectation["observed"],
        by_stack,
    )
