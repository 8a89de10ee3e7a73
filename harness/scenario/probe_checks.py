"""Cross-checks of the probes and of what reads them: names that exist, faults that end, and mechanism
expectations that have something to be verified from on this stack.

A mechanism expectation (`rollback`, `breaker_opened`, `drift_detected`) is verified from a probe when it
names one, else (a rollback with `version`) from the model version of the answers, else from the reference
gateway's polled state, which only a stack offering `StateProbe` has: without any of the three it could
never be measured, so it is refused before the drill rather than reported "not measured" after it.
"""

from __future__ import annotations

from collections.abc import Collection

from faults.capabilities import StateProbe
from faults.kinds.deploy import Deploy
from harness.backend_offers import BackendOffer
from harness.scenario.model import (
    BreakerOpenedExpectation,
    DriftDetectedExpectation,
    FaultSpec,
    RollbackExpectation,
    Scenario,
)

MechanismExpectation = DriftDetectedExpectation | RollbackExpectation | BreakerOpenedExpectation


def check_probes(scenario: Scenario) -> None:
    """ValueError naming the field: a probe name given twice, an expectation or a runbook signal on an
    unknown probe, an expectation on an unknown fault, `from: end` of a fault that only ends with the
    load."""
    names: set[str] = set()
    for index, probe in enumerate(scenario.probes):
        if probe.name in names:
            raise ValueError(f"probes[{index}].name: duplicate probe name {probe.name!r}")
        names.add(probe.name)
    faults = {f.name: f for f in scenario.faults}
    for index, fault in enumerate(scenario.faults):
        for signal in fault.runbook.probe_signals() if fault.runbook else []:
            _known_probe(signal.probe, names, f"faults[{index}] ({fault.name}).runbook.signals")
    for index, expectation in enumerate(scenario.expectations.probes):
        where = f"expectations.probes[{index}]"
        _known_probe(expectation.probe, names, f"{where}.probe")
        if expectation.after is None:
            continue
        fault = faults.get(expectation.after)
        if fault is None:
            known = ", ".join(sorted(faults)) or "none"
            raise ValueError(f"{where}.after: no fault named {expectation.after!r} (faults: {known})")
        if expectation.from_ == "end" and fault.duration is None:
            raise ValueError(
                f"{where}.from: {fault.name} has no duration, it ends with the load: measure from its start"
            )


def check_mechanism_evidence(
    key: str, index: int, expectation: MechanismExpectation, fault: FaultSpec, scenario: Scenario,
    backend: BackendOffer,
) -> None:  # fmt: skip
    """ValueError naming the field where `expectation` (the `index`th of `key`) could never be measured."""
    where = f"expectations.{key}[{index}]"
    version = getattr(expectation, "version", None)
    if expectation.probe is not None:
        _known_probe(expectation.probe, {p.name for p in scenario.probes}, f"{where}.probe")
        limit = getattr(expectation, "max_canary_requests", None)
        if limit is not None and version is None and not isinstance(fault.fault_kind, Deploy):
            raise ValueError(
                f"{where}.max_canary_requests: counting the canary's answers needs its 'version' "
                f"({fault.kind} does not say which it deploys)"
            )
    elif version is not None:
        if scenario.observation().version is None:
            raise ValueError(
                f"{where}.version: the answers' model version is not read: say where in load.observe.version"
            )
    elif StateProbe not in backend.capabilities:
        alternative = " (a probe of the canary), or 'version' (the canary's, as answers name it)"
        raise ValueError(
            f"{where}.probe: {key} reads the reference gateway's state, which the {backend.name} backend "
            f"does not offer: give 'probe' and 'reads'{alternative if key == 'rollback' else ''}"
        )


def _known_probe(name: str, probes: Collection[str], where: str) -> None:
    if name not in probes:
        raise ValueError(f"{where}: no probe named {name!r} (probes: {', '.join(sorted(probes)) or 'none'})")
