"""The `cold-start` kind as validation and the plan see it (its drill: tests/e2e/test_cold_start_drill.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from faults.kinds import FAULT_KINDS
from harness.backend_offers import COMPOSE, DOCKER, LOCAL, refusal
from harness.plan import resolve_plan
from harness.scenario.model import Scenario

COLD = {"name": "cold", "kind": "cold-start", "at": "2s", "duration": "8s", "target": "gpu-0"}


def plan(*faults: dict):
    data = {"name": "cold", "load": {"users": 1, "duration": "30s"}, "faults": list(faults)}
    return resolve_plan(Scenario.model_validate(data))


def test_a_cold_start_restarts_the_node_and_layers_with_network_toxics_only():
    latency = {"name": "slow", "kind": "latency", "at": "3s", "duration": "2s", "target": "gpu-0",
               "params": {"latency": "50ms"}}  # fmt: skip
    assert len(plan(COLD, latency).faults) == 2
    burst = {"name": "burst", "kind": "error-burst", "at": "3s", "duration": "2s", "target": "gpu-0"}
    with pytest.raises(ValueError, match="cold-start acts on the whole node"):
        plan(COLD, burst)


def test_defaults_and_strict_params():
    params = FAULT_KINDS["cold-start"].parse({})
    assert (params.warmup, params.slowdown) == (5.0, 10.0)
    with pytest.raises(ValidationError):
        FAULT_KINDS["cold-start"].parse({"slowdown": 0.5})
    assert (
        "inject cold: cold-start on gpu-0 (warmup=3s)"
        in plan({**COLD, "params": {"warmup": "3s"}}).describe()
    )


def test_it_needs_the_reference_model_server():
    needs = FAULT_KINDS["cold-start"].needs
    assert refusal("cold-start", needs, LOCAL) is None and refusal("cold-start", needs, DOCKER) is None
    assert str(refusal("cold-start", needs, COMPOSE)).startswith(
        "cold-start needs the reference stack's internals for model server faults;"
    )
