"""Checks that relate one part of a scenario to another, run after the schema has accepted the file.

These catch drills that would run but mean nothing: a fault scheduled after the load ended, a target
that matches no replica, an expectation about a fault that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from faults.kind import CheckContext
from faults.kinds.deploy import Deploy
from harness.backend_offers import BackendOffer, backend_offer, refusal, unlinked_refusal
from harness.errors import HarnessError
from harness.load.payloads import FeatureSchemaError, check_schema
from harness.load.truth import has_reference_truth
from harness.scenario.halts import check_halt_probes
from harness.scenario.model import FaultSpec, Scenario, TargetSpec
from harness.scenario.probe_checks import check_mechanism_evidence, check_probes
from harness.scenario.regression import check_gate_faults
from harness.thresholds import Scope
from stack.model import FEATURE_SCHEMA


def check_semantics(scenario: Scenario) -> None:
    """Raise ValueError naming the field for the first inconsistency found."""
    _check_fault_names(scenario)
    backend = backend_offer(scenario.stack)
    replicas = {r.name: r.all_labels() for r in scenario.stack.replicas}
    named_only = scenario.stack.canary_slots()
    nodes = {**replicas, **named_only}
    for index, fault in enumerate(scenario.faults):
        where = f"faults[{index}] ({fault.name})"
        _check_window(fault, scenario.load.duration, where)
        if fault.target is not None:
            try:
                candidates = matching_replicas(fault.target, replicas, named_only)
            except ValueError as exc:
                raise ValueError(f"{where}.target: {exc}") from None
            not_gpu = [n for n in candidates if nodes[n]["accelerator"] != "gpu"]
            if fault.fault_kind.gpu_only and not_gpu:
                raise ValueError(
                    f"{where}.target: {fault.kind} hits GPU nodes only; {', '.join(not_gpu)} is not one"
                )
        problem = refusal(fault.kind, fault.fault_kind.needs, backend)
        if problem is not None:
            raise ValueError(f"{where}.kind: {problem}")
        for node in candidates if fault.target is not None else []:
            if problem := unlinked_refusal(fault.kind, fault.fault_kind.needs, backend, node):
                raise ValueError(f"{where}.target: {problem}")
    _check_request_profile(scenario)
    _check_kinds(scenario)
    _check_expectations(scenario, backend)
    _check_quality(scenario)
    check_probes(scenario)
    check_halt_probes(scenario.safety.halt, {p.name for p in scenario.probes})
    check_gate_faults(scenario.expectations.regression, [f.name for f in scenario.faults])
    _check_primary_region(scenario)
    if scenario.toxiproxy.url is not None and scenario.stack.compose is not None:
        raise ValueError("toxiproxy.url: an external Toxiproxy cannot reach the compose project's network")
    if scenario.toxiproxy.url is not None and scenario.stack.backend == "docker":
        raise ValueError("toxiproxy.url: an external Toxiproxy cannot reach the docker backend's network")


def matching_replicas(
    target: TargetSpec, replicas: dict[str, dict[str, str]], named_only: dict[str, dict[str, str]]
) -> list[str]:
    """Names of replicas the selector can pick from, sorted; ValueError if it can never be satisfied.
    `named_only`: nodes that only a selector by name picks."""
    if target.node is not None:
        if target.node not in replicas and target.node not in named_only:
            raise ValueError(f"unknown node {target.node!r} (replicas: {', '.join(sorted(replicas))})")
        return [target.node]
    labels = target.labels or {}
    names = sorted(n for n, have in replicas.items() if all(have.get(k) == v for k, v in labels.items()))
    if not names:
        raise ValueError(f"no replica has labels {labels}")
    if target.count and target.count > len(names):
        raise ValueError(f"count {target.count} but only {len(names)} replica(s) match {labels}")
    return names


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
            load_replay(str(replay), features, scenario.load.profile.label)
        except HarnessError as exc:
            raise ValueError(f"load.profile.replay: {exc}") from None
    check_requests(scenario, features)


def _check_kinds(scenario: Scenario) -> None:
    """Each kind's own check of its fault against the scenario (a deploy needs a canary slot, a drift
    features the requests carry)."""
    context = CheckContext(scenario.stack.canary_replicas, request_features(scenario))
    for index, fault in enumerate(scenario.faults):
        problem = fault.fault_kind.check(fault.typed_params(), replace(context, duration=fault.duration))
        if problem is not None:
            field, message = problem
            raise ValueError(f"faults[{index}] ({fault.name}).{field}: {message}")


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
    "time_to_detect": None,
    "time_to_mitigate": None,
    "drift_detected": ("data",),
    "rollback": ("deploy",),
    "breaker_opened": ("node", "network"),
}
"""Structured expectations and the fault categories each may refer to (None: any)."""


def _check_expectations(scenario: Scenario, backend: BackendOffer) -> None:
    faults = {f.name: f for f in scenario.faults}
    for key, categories in _STRUCTURED_EXPECTATIONS.items():
        for index, expectation in enumerate(getattr(scenario.expectations, key)):
            where = f"expectations.{key}[{index}].fault"
            fault = faults.get(expectation.fault)
            if fault is None:
                known = ", ".join(sorted(faults)) or "none"
                raise ValueError(f"{where}: no fault named {expectation.fault!r} (faults: {known})")
            if categories and fault.fault_kind.category not in (*categories, "action"):
                raise ValueError(
                    f"{where}: {key} applies to {' or '.join(categories)} faults, not {fault.kind}"
                )
            if (
                key == "rollback"
                and fault.fault_kind.category == "deploy"
                and not isinstance(fault.fault_kind, Deploy)
            ):
                raise ValueError(
                    f"{where}: {fault.kind} puts no version in front of users, so there is nothing to roll "
                    "back (rollback applies to the deploys that do, and to actions)"
                )
            if categories:
                check_mechanism_evidence(key, index, expectation, fault, scenario, backend)
    for threshold in scenario.expectations.thresholds():
        if threshold.scope.kind == "fault" and threshold.scope.fault not in faults:
            raise ValueError(f"expectations.{threshold.metric}{threshold.scope.label()}: no such fault")
        stages = len(scenario.load.stages or [])
        if threshold.scope.kind == "stage" and int(threshold.scope.name or 0) > stages:
            raise ValueError(
                f"expectations.{threshold.metric}{threshold.scope.label()}: the load has {stages} stage(s)"
            )
        if threshold.scope == Scope("steady") and not faults:
            raise ValueError(f"expectations.{threshold.metric}{{steady}}: the scenario has no faults")
        if threshold.metric == "late" and scenario.load.mode != "open":
            raise ValueError("expectations.late: only meaningful for open-model load (set load.rate)")


def _check_quality(scenario: Scenario) -> None:
    """Quality is judged against a ground truth only chaosdrill's own reference-schema requests carry,
    from predictions the answers must be read for; labels posted back (`load.feedback`) need it too."""
    if not scenario.needs_truth:
        return
    asked = next(
        (f"expectations.{t.metric}{t.scope.label()}" for t in scenario.expectations.thresholds()
         if t.metric == "quality"),
        "slo.wrong_is_bad" if scenario.slo.wrong_is_bad else "load.feedback",
    )  # fmt: skip
    load = scenario.load
    if load.locustfile is not None:
        raise ValueError(f"{asked}: a locustfile's users build their own requests, whose truth is unknown")
    if load.profile.label is None and not has_reference_truth(request_features(scenario)):
        raise ValueError(
            f"{asked}: the ground truth is the reference data's true function, which scores the reference "
            "feature schema only (leave load.profile.features out, or replay a file with a label column: "
            "load.profile.label)"
        )
    if scenario.asks_quality and scenario.observation().prediction is None:
        raise ValueError(f"{asked}: the answers' predictions are not read (set load.observe.prediction)")


def _check_primary_region(scenario: Scenario) -> None:
    regions = sorted({r.region for r in scenario.stack.replicas})
    primary = scenario.stack.gateway.primary_region
    if primary is not None and primary not in regions:
        raise ValueError(
            f"stack.gateway.primary_region: {primary!r} is not a replica region ({', '.join(regions)})"
        )


def check_requests(scenario: Scenario, features: list[dict[str, Any]]) -> None:
    """What `load.request` needs from the rest of the scenario: a feature schema it can encode, and no
    data drift for a locustfile (its users build their own bodies, which drift cannot reach)."""
    from harness.load.bodies import body_encoder

    load = scenario.load
    if load.locustfile is not None:
        drifts = [f for f in scenario.faults if f.fault_kind.category == "data"]
        if drifts:
            raise ValueError(
                f"load.locustfile: {drifts[0].kind} fault {drifts[0].name!r} changes chaosdrill's own "
                "requests; a locustfile's users build theirs"
            )
        return
    try:
        body_encoder(load.request, features)
    except ValueError as exc:
        raise ValueError(f"load.request: {exc}") from None
