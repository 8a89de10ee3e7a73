"""The resolved timeline of a drill: which fault hits which replica when, decided before anything starts.

Targets are drawn with an RNG seeded from the run seed and the fault name, so `chaosdrill plan` shows
exactly what `chaosdrill run` will do, and the same seed replays the same drill.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from faults.kind import FaultOrder
from harness.backend_offers import backend_offer
from harness.durations import format_duration
from harness.load.shapes import describe_stages
from harness.scenario.checks import matching_replicas
from harness.scenario.model import FaultSpec, Scenario, TargetSpec
from harness.scenario.overlaps import check_overlaps
from harness.verify.results import FaultRecord


@dataclass(frozen=True)
class PlannedFault:
    spec: FaultSpec
    targets: tuple[str, ...]

    @property
    def start(self) -> float:
        return self.spec.at

    @property
    def end(self) -> float | None:
        return self.spec.end

    def record(self) -> FaultRecord:
        """The fault as planned, before anything happened to it (the scheduler and the journal fill it in)."""
        runbook = self.spec.runbook
        return FaultRecord(
            name=self.spec.name, kind=self.spec.kind, targets=list(self.targets), planned_at_s=self.start,
            planned_until_s=self.end, params=dict(self.spec.params), runbook=runbook.url if runbook else None,
            runbook_signals=list(runbook.signals) if runbook else [],
        )  # fmt: skip

    @property
    def order(self) -> FaultOrder:
        """What the fault's kind acts on: name, typed params, the drawn targets, the duration."""
        return FaultOrder(self.spec.name, self.spec.typed_params(), self.targets, self.spec.duration)


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    seed: int
    faults: tuple[PlannedFault, ...]

    def describe(self) -> str:
        """Human-readable timeline for `chaosdrill plan`."""
        load = self.scenario.load
        if load.stages:
            model = f"{len(load.stages)} stages ({load.mode} model)"
        elif load.mode == "closed":
            model = f"{load.users} users (closed model)"
        else:
            model = f"{load.rate:g} req/s (open model)"
        backend = backend_offer(self.scenario.stack).name
        lines = [
            f"scenario {self.scenario.name}: seed {self.seed}, backend {backend}",
            f"  {'0s':>8}  load starts: {model}, {load.rows} rows/request",
        ]
        events: list[tuple[float, str]] = []
        start = 0.0
        for number, stage in enumerate(load.stages or [], 1):
            words = describe_stages([{**stage.model_dump(), "duration_s": stage.duration}])
            events.append((start, f"stage {number}: {words}"))
            start += stage.duration
        for fault in self.faults:
            kind = fault.spec.fault_kind
            targets = ", ".join(fault.targets) or kind.subject or ""
            params = ", ".join(f"{k}={v}" for k, v in fault.spec.params.items())
            detail = f" ({params})" if params else ""
            events.append((fault.start, f"inject {fault.spec.name}: {fault.spec.kind} on {targets}{detail}"))
            if fault.end is not None:
                events.append((fault.end, f"{kind.undo_words(targets)} ({fault.spec.name})"))
        events.sort(key=lambda item: item[0])
        lines += [f"  {format_duration(t) if t else '0s':>8}  {text}" for t, text in events]
        lines.append(f"  {format_duration(load.duration):>8}  load stops; remaining faults are cleared")
        return "\n".join(lines)


def resolve_plan(scenario: Scenario, seed: int | None = None) -> Plan:
    """Draw each selector's targets; ValueError where faults would interfere on a drawn node."""
    seed = scenario.seed if seed is None else seed
    replicas = {r.name: r.all_labels() for r in scenario.stack.replicas}
    named_only = scenario.stack.canary_slots()

    def targets(fault: FaultSpec) -> tuple[str, ...]:
        return tuple(_pick_targets(fault.target, replicas, named_only, f"{seed}:{fault.name}"))

    faults = tuple(
        PlannedFault(f, targets(f) if f.target else ()) for f in sorted(scenario.faults, key=lambda f: f.at)
    )
    check_overlaps(faults, scenario)
    return Plan(scenario, seed, faults)


def _pick_targets(
    target: TargetSpec,
    replicas: dict[str, dict[str, str]],
    named_only: dict[str, dict[str, str]],
    rng_seed: str,
) -> list[str]:
    candidates = matching_replicas(target, replicas, named_only)
    if target.node is not None:
        return candidates
    wanted = math.ceil(len(candidates) * target.percent / 100) if target.percent else (target.count or 1)
    return sorted(random.Random(rng_seed).sample(candidates, wanted))
