"""Shadow deployment on the reference stack: a failing candidate mirrored half the traffic on a replica
slowed 50x changes nothing users see, and the drill fails, naming the latency expectation, when the
gateway is misconfigured to wait for the shadow before answering. The shadow's answers are held to the
users' by a probe of the gateway's comparison: a shadow that answers wrong (inverted weights) fails it."""

from __future__ import annotations

import json

import pytest

from harness.load.samples import read_samples
from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DRILL = "shadow_deploy.yaml"
LATENCY = "latency{fault:slow-shadow}: p(99) < 200ms"
BLOCKING = ("--set", "stack.gateway.mechanisms.shadow.blocking=true")
AGREEMENT = "probe shadow-agreement: >= 0.95 within 3s of shadow's start, and holds"
INVERTED = ("--set", "faults.0.params.version=v2-inverted")


def last_shadow(run_dir) -> dict:
    """The shadow's figures as the harness last polled them from the gateway."""
    lines = (run_dir / "stack_state.jsonl").read_text().splitlines()
    return [json.loads(line)["shadow"] for line in lines if line.strip()][-1]


def test_a_slow_failing_shadow_changes_nothing_users_see(tmp_path):
    run = run_scenario_file(tmp_path, DRILL)
    assert run.code == 0, run.stdout + run.stderr
    assert run.expectation(LATENCY)["passed"] and run.expectation("errors: rate < 1%")["passed"]
    shadow = last_shadow(run.run_dir)
    # The shadow really failed and really crawled, where users could not see it.
    assert shadow["version"] == "v2-bad" and shadow["status"] == "stopped"
    assert shadow["errors"] > 0.15 * shadow["mirrored"] and shadow["p99_ms"] > 400
    assert shadow["agreement"] > 0.95  # v2's weights: the candidate answers like stable where it answers
    assert run.expectation(AGREEMENT)["passed"]
    assert set(read_samples(run.run_dir / "samples.csv")["version"]) == {"v1"}
    assert "## Shadow deployment" in (run.run_dir / "report.md").read_text()
    assert_all_gone(run.child_pids())


def test_a_gateway_that_waits_for_its_shadow_fails_on_latency_and_a_wrong_shadow_on_agreement(tmp_path):
    run = run_scenario_file(tmp_path, DRILL, *BLOCKING, *INVERTED)
    assert run.code == 1, run.stdout + run.stderr
    assert f"FAIL {LATENCY}" in run.stdout and f"FAIL {AGREEMENT}" in run.stdout
    assert last_shadow(run.run_dir)["agreement"] < 0.1
    assert run.expectation("errors: rate < 1%")["passed"]  # the leak is the shadow's time, not its errors
    assert run.expectation(LATENCY)["observed"] > 200  # the 50x slower replica's time, in the user path
    assert_all_gone(run.child_pids())
