"""The blue-green drill on the reference stack: all traffic switched at once to a green running v2-bad is
switched back to blue by the gateway's analysis within the limit, and no client sees an error (the fallback
answers green's failures); with the blue-green analysis off green stays switched to until the harness
switches back at the end of the fault's window (breakers and ejection keep green's failures down in the
meantime, so the degraded bound alone would not tell), and the drill fails, naming the rollback."""

from __future__ import annotations

import pytest

from tests.e2e.drill_catalogue import assert_agrees_with_stack_clock
from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DRILL = "blue_green_switch.yaml"
ROLLBACK = "rollback: bad-green <= 3s"
DEGRADED = "degraded{fault:bad-green}: count < 150"
ANALYSIS_OFF = ("--set", "stack.gateway.mechanisms.canary_analysis.blue_green=false")


def test_a_bad_green_is_switched_back_and_no_request_fails(tmp_path):
    run = run_scenario_file(tmp_path, DRILL)
    assert run.code == 0, run.stdout + run.stderr
    rollback = run.expectation(ROLLBACK)
    assert "automated analysis: error rate" in rollback["explanation"]
    assert "vs blue before the switch" in rollback["explanation"]
    assert_agrees_with_stack_clock(run, rollback)
    assert run.expectation("errors: count == 0")["observed"] == 0
    assert run.expectation(DEGRADED)["observed"] > 0  # green did fail, for a moment
    assert_all_gone(run.child_pids())


def test_without_the_blue_green_analysis_green_keeps_the_traffic_and_the_drill_fails(tmp_path):
    run = run_scenario_file(tmp_path, DRILL, *ANALYSIS_OFF)
    assert run.code == 1, run.stdout + run.stderr
    assert f"FAIL {ROLLBACK}" in run.stdout
    assert "v2-bad was never rolled back" in run.expectation(ROLLBACK)["explanation"]
    assert run.expectation("errors: count == 0")["passed"]  # the fallback hid green's failures from clients
    assert_all_gone(run.child_pids())
