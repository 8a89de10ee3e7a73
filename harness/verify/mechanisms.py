"""Expectations about mechanisms acting inside the stack, verified from its polled `/admin/state`.

The harness observes *when* a drift alert fired, a canary was rolled back or a breaker opened by polling;
the stack's own timestamps are reported beside the observation, so a report shows both and a test can
check they agree to within one polling interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from faults.deploy import HARNESS_ROLLBACK_REASON
from harness.durations import format_duration
from harness.scenario.model import (
    BreakerOpenedExpectation,
    DriftDetectedExpectation,
    RollbackExpectation,
    Scenario,
)
from harness.verify.results import ExpectationResult, FaultRecord

Snapshot = dict[str, Any]


def evaluate_mechanisms(
    scenario: Scenario, snapshots: list[Snapshot], faults: list[FaultRecord], samples: pd.DataFrame
) -> list[ExpectationResult]:
    records = {f.name: f for f in faults}
    specs = {f.name: f for f in scenario.faults}
    expectations = scenario.expectations
    results = [_drift(e, records[e.fault], snapshots) for e in expectations.drift_detected]
    for e in expectations.rollback:
        params = specs[e.fault].params
        version = params.get("version", "v2") if specs[e.fault].kind == "canary-deploy" else "v2-bad"
        results.append(_rollback(e, records[e.fault], snapshots, samples, version, scenario.slo.window))
    results += [_breaker(e, records[e.fault], snapshots) for e in expectations.breaker_opened]
    return results


def stack_transitions(snapshots: list[Snapshot]) -> list[dict[str, Any]]:
    """Changes seen between consecutive polls, as timeline events (breakers, canary, drift alert)."""
    events: list[dict[str, Any]] = []
    previous: Snapshot | None = None
    for snapshot in snapshots:
        t = snapshot["polled_at"]
        if previous is not None:
            before = {r["name"]: r for r in previous.get("replicas", [])}
            for replica in snapshot.get("replicas", []):
                old = before.get(replica["name"])
                if old and old.get("breaker") != replica.get("breaker"):
                    events.append({"t": t, "event": f"breaker_{replica['breaker']}", "node": replica["name"]})
            old_canary, canary = previous.get("canary", {}), snapshot.get("canary", {})
            if old_canary.get("status") != canary.get("status"):
                events.append({"t": t, "event": f"canary_{canary.get('status')}", "details": canary})
            old_alert, alert = previous.get("drift", {}).get("alert"), snapshot.get("drift", {}).get("alert")
            if old_alert != alert:
                events.append({"t": t, "event": "drift_alert" if alert else "drift_alert_cleared"})
        previous = snapshot
    return events


def _first_seen(snapshots: list[Snapshot], after: float, seen: Callable[[Snapshot], bool]) -> Snapshot | None:
    return next((s for s in snapshots if s["polled_at"] >= after and seen(s)), None)


def _result(
    name: str, metric: str, observed: float | None, threshold: str, passed: bool, why: str
) -> ExpectationResult:
    """Every mechanism expectation is a time in seconds."""
    return ExpectationResult(name, metric, observed, threshold, "s", passed, why)


def _unmeasurable(name: str, metric: str, threshold: str, record: FaultRecord) -> ExpectationResult:
    reason = record.error or "the fault was never applied"
    return _result(name, metric, None, threshold, False, f"could not be measured: {reason}")


def _alerting(snapshot: Snapshot) -> bool:
    return bool(snapshot.get("drift", {}).get("alert"))


def _rolled_back_by_stack(snapshot: Snapshot) -> bool:
    """A rollback the harness made itself when the fault window ended is not the stack's doing."""
    canary = snapshot.get("canary", {})
    return canary.get("status") == "rolled_back" and canary.get("reason") != HARNESS_ROLLBACK_REASON


def _drift(e: DriftDetectedExpectation, record: FaultRecord, snapshots: list[Snapshot]) -> ExpectationResult:
    threshold = f"<= {format_duration(e.within)}"
    name = f"drift_detected: {e.fault} {threshold}"
    if record.applied_at is None:
        return _unmeasurable(name, "drift_detected", threshold, record)
    false_alarm = next((s for s in snapshots if s["polled_at"] < record.applied_at and _alerting(s)), None)
    if false_alarm is not None:
        early = record.applied_at - false_alarm["polled_at"]
        return _result(
            name,
            "drift_detected",
            None,
            threshold,
            False,
            f"false alarm: drift alert {early:.1f}s before {e.fault} was injected",
        )
    seen = _first_seen(snapshots, record.applied_at, _alerting)
    if seen is None:
        return _result(
            name,
            "drift_detected",
            None,
            threshold,
            False,
            f"no drift alert after {e.fault} was injected, until the end of the run",
        )
    latency = seen["polled_at"] - record.applied_at
    since = seen["drift"].get("alert_since")
    claim = f" (stack's alert_since: +{since - record.applied_at:.2f}s)" if since else ""
    passed = latency <= e.within
    return _result(
        name,
        "drift_detected",
        latency,
        threshold,
        passed,
        f"drift alert seen {latency:.2f}s after {e.fault} was injected{claim}; no alert before it; "
        f"{'within' if passed else 'over'} the {format_duration(e.within)} limit",
    )


def _rollback(
    e: RollbackExpectation,
    record: FaultRecord,
    snapshots: list[Snapshot],
    samples: pd.DataFrame,
    version: str,
    window_s: float,
) -> ExpectationResult:
    threshold = f"<= {format_duration(e.within)}"
    name = f"rollback: {e.fault} {threshold}"
    if record.applied_at is None:
        return _unmeasurable(name, "rollback", threshold, record)
    served = samples[(samples["version"] == version) & (samples["t_start"] >= record.applied_at)]
    seen = _first_seen(snapshots, record.applied_at, _rolled_back_by_stack)
    problems = []
    if e.max_canary_requests is not None and len(served) > e.max_canary_requests:
        problems.append(f"{len(served):,} requests served by {version} (limit {e.max_canary_requests:,})")
    if seen is None:
        return _result(
            name,
            "rollback",
            None,
            threshold,
            False,
            f"{version} was never rolled back; {len(served):,} requests served by it",
        )
    latency = seen["polled_at"] - record.applied_at
    rolled_back_at = seen["canary"].get("rolled_back_at") or seen["polled_at"]
    after = served[served["t_start"] > rolled_back_at + window_s]
    if len(after):
        problems.append(f"{len(after):,} requests still served by {version} after the rollback")
    if latency > e.within:
        problems.append(f"over the {format_duration(e.within)} limit")
    reason = seen["canary"].get("reason") or "no reason given"
    detail = (
        f"rolled back {latency:.2f}s after {e.fault} was deployed (stack's rolled_back_at: "
        f"+{rolled_back_at - record.applied_at:.2f}s; {reason}); {len(served):,} requests served by {version}"
    )
    return _result(
        name,
        "rollback",
        latency,
        threshold,
        not problems,
        detail + ("; " + "; ".join(problems) if problems else ""),
    )


def _breaker(
    e: BreakerOpenedExpectation, record: FaultRecord, snapshots: list[Snapshot]
) -> ExpectationResult:
    threshold = f"<= {format_duration(e.within)}"
    name = f"breaker_opened: {e.fault} {threshold}"
    if record.applied_at is None:
        return _unmeasurable(name, "breaker_opened", threshold, record)
    targets = set(record.targets)

    def opened(snapshot: Snapshot) -> bool:
        return any(r["name"] in targets and r.get("breaker") == "open" for r in snapshot.get("replicas", []))

    seen = _first_seen(snapshots, record.applied_at, opened)
    if seen is None:
        return _result(
            name,
            "breaker_opened",
            None,
            threshold,
            False,
            f"no breaker opened for {', '.join(sorted(targets))} after {e.fault}",
        )
    latency = seen["polled_at"] - record.applied_at
    passed = latency <= e.within
    nodes = ", ".join(sorted(targets))
    verdict = f"{'within' if passed else 'over'} the {format_duration(e.within)} limit"
    return _result(
        name,
        "breaker_opened",
        latency,
        threshold,
        passed,
        f"breaker for {nodes} seen open {latency:.2f}s after {e.fault}; {verdict}",
    )
