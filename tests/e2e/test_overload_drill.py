"""Overload on the reference stack: three times what its replicas can serve, in the middle stage of a load
shape. With admission control the excess is shed fast and the model keeps answering at capacity; without
it queues grow, breakers open, the fallback answers everything and goodput collapses: the drill fails,
naming goodput, shedding and latency."""

from __future__ import annotations

import pytest

from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DRILL = "overload_shedding.yaml"
GOODPUT = "goodput{stage:2}: rps >= 45"
SHED = "shed{stage:2}: rate > 30%"
LATENCY = "latency{stage:2}: p(99) < 400ms"


def test_shedding_keeps_the_model_answering_at_capacity_through_a_3x_spike(tmp_path):
    run = run_scenario_file(tmp_path, DRILL)
    assert run.code == 0, run.stdout + run.stderr
    assert run.expectation(GOODPUT)["observed"] <= 61  # the replicas' capacity, 60/s: the limit is real
    summary = run.summary
    assert [s["rate"] for s in summary["load"]["stages"]] == [30.0, 180.0, 30.0]
    assert summary["load"]["sent"] == 30 * 4 + 180 * 8 + 30 * 6  # every stage got its arrivals
    assert "in 3 stages (30/s for 4s, 180/s for 8s, 30/s for 6s)" in (run.run_dir / "report.md").read_text()
    assert_all_gone(run.child_pids())


def test_without_shedding_goodput_collapses_and_the_drill_fails(tmp_path):
    run = run_scenario_file(tmp_path, DRILL, "--set", "stack.gateway.mechanisms.admission.enabled=false")
    assert run.code == 1, run.stdout + run.stderr
    for name in (GOODPUT, SHED, LATENCY):
        assert f"FAIL {name}" in run.stdout
    assert run.expectation(GOODPUT)["observed"] < 20
    assert_all_gone(run.child_pids())
