"""What the stack's mechanisms did, read from the event log on the report's time axis.

The runner merges the transitions it polled from the gateway (breakers, canary status) into events.jsonl
beside the harness's own fault events; plots and sections mark them from here so both place a rollback
or an opened breaker at the same instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from faults.kinds import FAULT_KINDS
from faults.kinds.deploy import Deploy
from harness.report.formatting import is_missing
from harness.verify.results import FaultRecord

BREAKER_STATES = {"breaker_open": "open", "breaker_half_open": "half-open", "breaker_closed": "closed"}
"""Breaker event -> state in words."""

CanaryChangeKind = Literal["deployed", "rolled back", "promoted"]
_CANARY_EVENTS: dict[str, CanaryChangeKind] = {
    "canary_rolled_back": "rolled back",
    "canary_promoted": "promoted",
}


@dataclass(frozen=True)
class BreakerChange:
    t_s: float
    node: str
    state: str
    """open, half-open or closed."""


@dataclass(frozen=True)
class CanaryChange:
    t_s: float
    change: CanaryChangeKind
    version: str | None
    fault: str | None = None
    """The deploy fault that made the change; None for the stack's own rollbacks and promotions."""
    reason: str | None = None


def _timed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((e for e in events if not is_missing(e.get("t"))), key=lambda e: float(e["t"]))


def breaker_changes(events: list[dict[str, Any]], origin: float) -> list[BreakerChange]:
    return [
        BreakerChange(float(e["t"]) - origin, str(e["node"]), BREAKER_STATES[e["event"]])
        for e in _timed(events)
        if e.get("event") in BREAKER_STATES and e.get("node")
    ]


def _canary_state(details: Any) -> Mapping[str, Any]:
    """The gateway's canary state inside event details: the state itself, or a deploy's responses."""
    if isinstance(details, Mapping):
        inner = details.get("canary")
        return inner if isinstance(inner, Mapping) else details
    if isinstance(details, list):
        return next((d["canary"] for d in details if isinstance(d, Mapping) and "canary" in d), {})
    return {}


def _stack_time(state: Mapping[str, Any], key: str, fallback: float) -> float:
    """The stack's own timestamp when it reported one; the harness's observation otherwise."""
    value = state.get(key)
    return float(value) if isinstance(value, int | float) else fallback


def _deploy(event: dict[str, Any], faults: Mapping[str, FaultRecord], origin: float) -> CanaryChange:
    state = _canary_state(event.get("details"))
    version = state.get("version") or _deployed_version(faults.get(str(event.get("fault"))))
    t = _stack_time(state, "deployed_at", float(event["t"]))
    return CanaryChange(t - origin, "deployed", version, fault=event.get("fault"))


def _deployed_version(fault: FaultRecord | None) -> str | None:
    """What the deploy fault put on the canary, as its kind says, where the gateway's answer did not."""
    if fault is None or not isinstance(kind := FAULT_KINDS.get(fault.kind), Deploy):
        return None
    return kind.canary_version(kind.parse(fault.params))


def _stack_decision(event: dict[str, Any], origin: float) -> CanaryChange:
    state = _canary_state(event.get("details"))
    change = _CANARY_EVENTS[event["event"]]
    t = float(event["t"])
    if change == "rolled back":
        t = _stack_time(state, "rolled_back_at", t)
    return CanaryChange(t - origin, change, state.get("version"), reason=state.get("reason"))


def canary_changes(
    events: list[dict[str, Any]], faults: list[FaultRecord], origin: float
) -> list[CanaryChange]:
    """Deploys (from the deploy faults) and the rollbacks and promotions that followed, in time order."""
    by_name = {f.name: f for f in faults}
    changes = []
    for event in _timed(events):
        # A shadow deploy is a deploy too, but the canary answers no user while it runs: not a canary change.
        canary_deploy = isinstance(FAULT_KINDS.get(str(event.get("kind"))), Deploy)
        if event.get("event") == "fault_applied" and canary_deploy:
            changes.append(_deploy(event, by_name, origin))
        elif event.get("event") in _CANARY_EVENTS:
            changes.append(_stack_decision(event, origin))
    return _with_versions(sorted(changes, key=lambda c: c.t_s))


def _with_versions(changes: list[CanaryChange]) -> list[CanaryChange]:
    """A change whose event did not name the version concerns the canary deployed last."""
    current: str | None = None
    named = []
    for change in changes:
        current = change.version or current
        named.append(change if change.version else replace(change, version=current))
    return named
