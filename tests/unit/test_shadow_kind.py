"""The shadow-deploy fault kind in scenarios and plans, and what the harness reads of a shadow: it takes the
canary slot (never beside a canary deploy), its host can be slowed by naming it, its status changes are
timeline events, and it is not a canary deploy in the report."""

from __future__ import annotations

from typing import Any

import pytest

from harness.plan import resolve_plan
from harness.report.stack_events import canary_changes
from harness.scenario.checks import check_semantics
from harness.scenario.model import Scenario
from harness.verify.mechanisms import stack_transitions

SHADOW = {
    "name": "shadow",
    "kind": "shadow-deploy",
    "at": "2s",
    "params": {"version": "v2-bad", "share": 0.5},
}


def scenario(*faults: dict[str, Any], **stack: Any) -> Scenario:
    return Scenario.model_validate(
        {"name": "s", "stack": stack, "load": {"users": 1, "duration": "30s"}, "faults": list(faults)}
    )


def test_a_shadow_needs_a_canary_slot_and_takes_its_params() -> None:
    check_semantics(scenario(SHADOW))
    with pytest.raises(ValueError, match=r"shadow-deploy needs stack.canary_replicas >= 1"):
        check_semantics(scenario(SHADOW, canary_replicas=0))
    with pytest.raises(ValueError, match="share"):
        scenario({**SHADOW, "params": {"share": 1.5}})


def test_a_shadow_never_overlaps_a_canary_deploy() -> None:
    canary = {"name": "canary", "kind": "canary-deploy", "at": "10s", "params": {"version": "v2"}}
    with pytest.raises(ValueError, match=r"overlaps shadow .*the gateway runs one canary at a time"):
        resolve_plan(scenario(SHADOW, canary))
    assert len(resolve_plan(scenario({**SHADOW, "duration": "5s"}, canary)).faults) == 2


def test_a_canary_slot_is_targeted_by_name_only() -> None:
    slow = {"name": "slow", "kind": "slowdown", "at": "5s", "duration": "5s", "params": {"factor": 50}}
    named = scenario(SHADOW, {**slow, "target": "canary-0"})
    check_semantics(named)
    assert resolve_plan(named).faults[1].targets == ("canary-0",)
    many = {**slow, "target": {"labels": {"accelerator": "gpu"}, "percent": 100}}
    assert "canary-0" not in resolve_plan(scenario(many)).faults[0].targets
    with pytest.raises(ValueError, match="unknown node 'canary-1'"):
        check_semantics(scenario({**slow, "target": "canary-1"}))


def _poll(t: float, status: str) -> dict[str, Any]:
    return {"polled_at": t, "shadow": {"status": status, "version": "v2-bad"}}


def test_shadow_status_changes_are_timeline_events_and_no_canary_change() -> None:
    events = stack_transitions(
        [_poll(1, "none"), _poll(2, "active"), _poll(3, "active"), _poll(4, "stopped")]
    )
    assert [(e["t"], e["event"]) for e in events] == [(2, "shadow_active"), (4, "shadow_stopped")]
    applied = {"t": 1.5, "event": "fault_applied", "fault": "shadow", "kind": "shadow-deploy"}
    assert canary_changes([applied, *events], [], origin=0.0) == []
