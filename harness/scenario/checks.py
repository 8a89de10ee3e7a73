"""Checks that relate one part of a scenario to another, run after the schema has accepted the file.

These catch drills that would run but mean nothing: a fault scheduled after the load ended, a target
that matches no replica, an expectation about a fault that does not exist.
"""

from __future__ import annotations

from harness.scenario.faults import DataDriftParams
from harness.scenario.model import FaultSpec, Scenario, TargetSpec
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
        if fault.kind == "data-drift":
            _check_drift_features(fault, scenario, where)
        if fault.kind_spec.category == "deploy" and scenario.stack.canary_replicas == 0:
            raise ValueError(f"{where}.kind: {fault.kind} needs stack.canary_replicas >= 1")
    _check_expectations(scenario)
    _check_primary_region(scenario)


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


_NUMERIC_TRANSFORMS = frozenset({"mean-shift", "scale", "out-of-range"})


def _check_drift_features(fault: FaultSpec, scenario: Scenario, where: str) -> None:
    """Drift only makes sense on features the requests carry, and of the right type for the transform."""
    params = fault.typed_params()
    assert isinstance(params, DataDriftParams)
    if scenario.load.profile.replay is not None:
        return  # a replayed file's columns are checked by the load worker when it opens the file
    features = scenario.load.profile.features or FEATURE_SCHEMA
    schema = {str(f.get("name")): f.get("type") for f in features}
    for feature in params.features:
        if feature not in schema:
            raise ValueError(
                f"{where}.params.features: unknown feature {feature!r} (features: {', '.join(schema)})"
            )
        wanted = "numeric" if params.transform in _NUMERIC_TRANSFORMS else "categorical"
        if params.transform in _NUMERIC_TRANSFORMS | {"category-swap"} and schema[feature] != wanted:
            raise ValueError(
                f"{where}.params.features: {params.transform} needs {wanted} features; {feature} is not"
            )


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
