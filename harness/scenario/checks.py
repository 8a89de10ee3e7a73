"""Checks that relate one part of a scenario to another, run after the schema has accepted the file.

These catch drills that would run but mean nothing: a fault scheduled after the load ended, a target
that matches no replica, an expectation about a fault that does not exist.
"""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError
from harness.load.drift import check_drift_features
from harness.load.payloads import FeatureSchemaError, check_schema
from harness.scenario.faults import DataDriftParams
from harness.scenario.model import FaultSpec, Scenario, TargetSpec
from harness.scenario.regression import check_gate_faults
from harness.thresholds import Scope
from stack.model import FEATURE_SCHEMA


def check_semantics(scenario: Scenario) -> None:
    """Raise ValueError naming the field for the first inconsistency found."""
    _check_fault_names(scenario)
    replicas = {r.name: r.all_labels() for r in scenario.stack.replicas}
    for index, fault in enumerate(scenario.faults):
        where = f"faults[{index}] ({fault.name})"
        _check_window(fault, scenario.load.duration, where)
        if fault.target is not None:
            try:
                candidates = matching_replicas(fault.target, replicas)
            except ValueError as exc:
                raise ValueError(f"{where}.target: {exc}") from None
            not_gpu = [n for n in candidates if replicas[n]["accelerator"] != "gpu"]
            if fault.kind_spec.gpu_only and not_gpu:
                raise ValueError(
                    f"{where}.target: {fault.kind} hits GPU nodes only; {', '.join(not_gpu)} is not one"
                )
        if scenario.stack.backend not in fault.kind_spec.backends:
            needed = " or ".join(sorted(fault.kind_spec.backends))
            raise ValueError(f"{where}.kind: {fault.kind} needs the {needed} backend (stack.backend)")
        if scenario.stack.compose is not None and not _fits_compose(fault):
            raise ValueError(
                f"{where}.kind: {fault.kind} needs the reference stack's internals; a compose stack "
                "takes data-drift and container faults (node-kill/-pause/-restart/-stop, partition, "
                "squeezes, oom-kill)"
            )
        if fault.kind_spec.category == "deploy" and scenario.stack.canary_replicas == 0:
            raise ValueError(f"{where}.kind: {fault.kind} needs stack.canary_replicas >= 1")
    _check_request_profile(scenario)
    _check_expectations(scenario)
    check_gate_faults(scenario.expectations.regression, [f.name for f in scenario.faults])
    _check_primary_region(scenario)
    if scenario.toxiproxy.url is not None and scenario.stack.backend == "docker":
        raise ValueError("toxiproxy.url: an external Toxiproxy cannot reach the docker backend's network")


def matching_replicas(target: TargetSpec, replicas: dict[str, dict[str, str]]) -> list[str]:
    """Names of replicas the selector can pick from, sorted; ValueError if it can never be satisfied."""
    if target.node is not None:
        if target.node not in replicas:
            raise ValueError(f"unknown node {target.node!r} (replicas: {', '.join(sorted(replicas))})")
        return [target.node]
    labels = target.labels or {}
    names = sorted(n for n, have in replicas.items() if all(have.get(k) == v for k, v in labels.items()))
    if not names:
        raise ValueError(f"no replica has labels {labels}")
    if target.count and target.count > len(names):
        raise ValueError(f"count {target.count} but only {len(names)} replica(s) match {labels}")
    return names


_COMPOSE_ACTIONS = frozenset({"kill", "pause", "restart", "stop", "partition", "squeeze", "oom"})


def _fits_compose(fault: FaultSpec) -> bool:
    """Load-side and container-level faults work on any stack; the rest reach into the reference stack."""
    return fault.kind_spec.category == "data" or fault.kind_spec.action in _COMPOSE_ACTIONS


def _check_request_profile(scenario: Scenario) -> None:
    """What the load worker checks when it starts, checked here too with the same functions: a feature
    schema it cannot sample, a replay file it cannot read, a drift on a feature the requests lack."""
    features = request_features(scenario)
    try:
        check_schema(features)
    except FeatureSchemaError as exc:
        raise ValueError(f"load.profile.features: {exc}") from None
    replay = scenario.load.profile.replay
    if replay is not None:
        from harness.load.replay import load_replay  # pandas: imported only for a replayed profile

        try:
            load_replay(str(replay), features)
        except HarnessError as exc:
            raise ValueError(f"load.profile.replay: {exc}") from None
    for index, fault in enumerate(scenario.faults):
        params = fault.typed_params()
        if isinstance(params, DataDriftParams):
            try:
                check_drift_features(params.transform, params.features, features)
            except ValueError as exc:
                raise ValueError(f"faults[{index}] ({fault.name}).params.features: {exc}") from None


def request_features(scenario: Scenario) -> list[dict[str, Any]]:
    """The feature schema the requests carry: the scenario's own, or the reference model's baseline (also
    the columns taken from a replayed file)."""
    return scenario.load.profile.features or FEATURE_SCHEMA


def _check_fault_names(scenario: Scenario) -> None:
    seen: set[str] = set()
    for index, fault in enumerate(scenario.faults):
        if fault.name in seen:
            raise ValueError(f"faults[{index}].name: duplicate fault name {fault.name!r}")
        seen.add(fault.name)


def _check_window(fault: FaultSpec, load_duration: float, where: str) -> None:
    if fault.at >= load_duration:
        raise ValueError(f"{where}.at: starts at {fault.at:g}s, after the load ends at {load_duration:g}s")
    if fault.end is not None and fault.end > load_duration:
        raise ValueError(
            f"{where}.duration: ends at {fault.end:g}s, after the load ends at {load_duration:g}s"
        )


_STRUCTURED_EXPECTATIONS = {
    "recovery_time": None,
    "drift_detected": ("data",),
    "rollback": ("deploy",),
    "breaker_opened": ("node", "network"),
}
"""Structured expectations and the fault categories each may refer to (None: any)."""


def _check_expectations(scenario: Scenario) -> None:
    faults = {f.name: f for f in scenario.faults}
    for key, categories in _STRUCTURED_EXPECTATIONS.items():
        for index, expectation in enumerate(getattr(scenario.expectations, key)):
            where = f"expectations.{key}[{index}].fault"
            fault = faults.get(expectation.fault)
            if fault is None:
                known = ", ".join(sorted(faults)) or "none"
                raise ValueError(f"{where}: no fault named {expectation.fault!r} (faults: {known})")
            if scenario.stack.compose is not None and categories:
                raise ValueError(
                    f"{where}: {key} reads the reference gateway's state; not available for compose"
                )
            if categories and fault.kind_spec.category not in categories:
                raise ValueError(
                    f"{where}: {key} applies to {' or '.join(categories)} faults, not {fault.kind}"
                )
    for threshold in scenario.expectations.thresholds():
        if threshold.scope.kind == "fault" and threshold.scope.fault not in faults:
            raise ValueError(f"expectations.{threshold.metric}{threshold.scope.label()}: no such fault")
        if threshold.scope == Scope("steady") and not faults:
            raise ValueError(f"expectations.{threshold.metric}{{steady}}: the scenario has no faults")
        if threshold.metric == "late" and scenario.load.mode != "open":
            raise ValueError("expectations.late: only meaningful for open-model load (set load.rate)")


def _check_primary_region(scenario: Scenario) -> None:
    regions = sorted({r.region for r in scenario.stack.replicas})
    primary = scenario.stack.gateway.primary_region
    if primary is not None and primary not in regions:
        raise ValueError(
            f"stack.gateway.primary_region: {primary!r} is not a replica region ({', '.join(regions)})"
        )
