"""The `cold-start` fault kind in a real drill on the local backend: a node restarted cold (503 on /readyz,
slow answers) while load runs. The gateway's health checks keep traffic off it until it is warm; without
them the cold node's slow answers reach users and the latency expectation fails.

Outlier ejection is off in both runs: it would otherwise also keep traffic off the node for a while (the
kill's connection errors eject it), and what these drills show is the health checks' doing. The load is
open-model: a closed loop would send fewer requests while users wait on the slow node, hiding it.
"""

from __future__ import annotations

import json

import pytest

from harness.load.samples import read_samples
from tests.e2e.drills import Run, run_drill, scenario

pytestmark = pytest.mark.slow

COLD = {"name": "cold", "kind": "cold-start", "at": "2s", "duration": "9s", "target": "gpu-0",
        "params": {"warmup": "6s", "slowdown": 80}}  # fmt: skip
"""Cold for 6 s once started: predictions 80 times slower (~240 ms instead of ~3 ms)."""
EXPECTATIONS = {"latency{fault:cold}": ["p(90) < 150ms"]}
NO_EJECTION = {"outlier_ejection": {"enabled": False}}


def cold_start_drill(name: str, **mechanisms: object) -> dict:
    data = scenario(name, [COLD], EXPECTATIONS, mechanisms={**NO_EJECTION, **mechanisms})
    return {**data, "load": {"rate": "60/s", "duration": "14s", "rows": 2}}


def gpu0_health(run: Run) -> list[bool]:
    """gpu-0's health as the gateway reported it, poll by poll."""
    lines = (run.run_dir / "stack_state.jsonl").read_text().splitlines()
    states = [json.loads(line) for line in lines if line.strip()]
    return [r["healthy"] for state in states for r in state.get("replicas", []) if r["name"] == "gpu-0"]


def test_health_checks_keep_traffic_off_a_cold_node(tmp_path):
    run = run_drill(tmp_path, cold_start_drill("cold-start-held"))
    assert run.code == 0, run.stdout + run.stderr
    [fault] = run.summary["faults"]
    assert fault["applied_at"] and fault["cleared_at"]
    applied = next(e for e in run.events if e["event"] == "fault_applied")
    [details] = applied["details"]
    assert details["killed"]["signal"] == "SIGKILL"
    assert details["started"]["settings"] == {"warmup": 6.0, "warmup_slowdown": 80.0}
    health = gpu0_health(run)
    assert False in health and health[-1] is True  # unhealthy while cold, healthy once warm
    samples = read_samples(run.run_dir / "samples.csv")
    after = samples[samples["t_start"] > fault["cleared_at"] + 1.0]
    assert (after["replica"] == "gpu-0").any()  # warm again, and back in service


def test_without_health_checks_users_get_the_cold_node(tmp_path):
    data = cold_start_drill("cold-start-unchecked", health_checks={"enabled": False})
    run = run_drill(tmp_path, data)
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation("latency{fault:cold}: p(90) < 150ms")["passed"]
