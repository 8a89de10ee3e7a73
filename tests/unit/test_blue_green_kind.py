"""The blue-green-deploy fault kind: the version it puts on green for the rollback check and the report,
how plans word it, and validation like the other deploys (a canary slot, one rollout at a time)."""

from __future__ import annotations

from typing import Any

import pytest

from faults.deploy import BlueGreenSwitch
from faults.kind import FaultOrder
from faults.kinds import FAULT_KINDS
from harness.plan import resolve_plan
from harness.scenario.checks import check_semantics
from harness.scenario.model import Scenario
from harness.verify.mechanisms import canary_version


def _scenario(*faults: dict[str, Any], canary_replicas: int = 1) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "bg",
            "stack": {"canary_replicas": canary_replicas},
            "load": {"users": 1, "duration": "30s"},
            "faults": list(faults),
        }
    )


SWITCH = {
    "name": "sw",
    "kind": "blue-green-deploy",
    "at": "2s",
    "duration": "10s",
    "params": {"version": "v2-bad"},
}


def test_the_plan_words_the_switch_and_its_undo() -> None:
    text = resolve_plan(_scenario(SWITCH)).describe()
    assert (
        "inject sw: blue-green-deploy on the gateway's idle colour (its canary replicas) (version=v2-bad)"
        in text
    )
    assert "switch back to blue if still on green (sw)" in text


def test_the_version_switched_to_is_the_canary_version_for_the_checks_and_the_report() -> None:
    [spec] = _scenario(SWITCH).faults
    assert canary_version(spec) == "v2-bad"
    assert FAULT_KINDS["blue-green-deploy"].parse({}).version == "v2"


def test_the_injector_switches_through_the_blue_green_api() -> None:
    order = FaultOrder("sw", FAULT_KINDS["blue-green-deploy"].parse({"version": "v2"}), (), None)

    class Stack:
        gateway_url, admin_token = "http://gw:8000/", "t"

    [injector] = FAULT_KINDS["blue-green-deploy"].injectors(order, Stack())
    assert isinstance(injector, BlueGreenSwitch)
    assert (injector.gateway_url, injector.path, injector.payload) == (
        "http://gw:8000",
        "/admin/blue-green",
        {"version": "v2"},
    )
    assert injector.description == "blue-green switch to v2"


def test_a_switch_needs_a_canary_slot() -> None:
    with pytest.raises(
        ValueError, match=r"faults\[0\] \(sw\)\.kind: blue-green-deploy needs stack.canary_replicas >= 1"
    ):
        check_semantics(_scenario(SWITCH, canary_replicas=0))


def test_a_switch_never_overlaps_a_canary() -> None:
    canary = {"name": "c", "kind": "canary-deploy", "at": "5s", "duration": "10s"}
    with pytest.raises(ValueError, match="the gateway runs one canary at a time"):
        resolve_plan(_scenario(SWITCH, canary))
