"""Which faults may overlap in time on one node, decided from what each kind touches (`Overlap`, declared
by its module in faults/kinds/) and checked on the resolved plan.

Checked after targets are drawn, so a selector's seed-picked node is what counts. Every fault is undone on
its own when its window ends, so two faults may share a node only where neither's undo (or the fault
itself) wipes the other's effect:

- a fault that changes the whole node (kill, restart, stop, pause, partition, OOM kill) layers with network
  toxics only: a restart wipes in-process faults, a second restart collides on the port, a partition's
  undo brings a downed link back up;
- faults that set one thing on a node (its link's up/down state, a model-server setting, its resource
  limits) never overlap another that sets the same thing: clearing one would undo the other;
- faults with the same `exclusive` reason never overlap anywhere (the gateway runs one canary);
- everything else layers (network toxics: each is a toxic of its own name; data drifts).

A fault without `duration` lasts until the load ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Protocol

from faults.kind import FaultKind
from harness.durations import format_duration
from harness.scenario.model import FaultSpec, Scenario


class Placed(Protocol):
    """A fault with its drawn targets (`harness.plan.PlannedFault`)."""

    @property
    def spec(self) -> FaultSpec: ...

    @property
    def targets(self) -> tuple[str, ...]: ...


def check_overlaps(faults: Sequence[Placed], scenario: Scenario) -> None:
    """ValueError naming both faults (and the node) for the first pair that may not overlap."""
    index = {f.name: i for i, f in enumerate(scenario.faults)}
    load_end = scenario.load.duration
    for first, second in combinations(faults, 2):
        a, b = sorted((first.spec, second.spec), key=lambda f: index[f.name])
        if not (a.at < _end(b, load_end) and b.at < _end(a, load_end)):  # half-open windows
            continue
        exclusive = a.fault_kind.overlap.exclusive
        if exclusive is not None and exclusive == b.fault_kind.overlap.exclusive:
            where, reason = "", exclusive
        else:
            shared = sorted(set(first.targets) & set(second.targets))
            conflicts = [(node, _conflict(a.fault_kind, b.fault_kind)) for node in shared]
            where, reason = next(((f" on node {n}", r) for n, r in conflicts if r), ("", None))
        if reason:
            raise ValueError(
                f"faults[{index[b.name]}] ({b.name}, {_window(b, load_end)}) overlaps {a.name} "
                f"({_window(a, load_end)}){where}: {reason}"
            )


def _conflict(a: FaultKind, b: FaultKind) -> str | None:
    """Why kinds `a` and `b` may not overlap on one node; None where they layer."""
    if a.overlap.whole_node or b.overlap.whole_node:
        whole, other = (a, b) if a.overlap.whole_node else (b, a)
        if other.overlap.whole_node or other.overlap.sets:
            return f"{whole.name} acts on the whole node and layers with network toxics only"
        return None
    if a.overlap.sets is not None and a.overlap.sets == b.overlap.sets:
        return f"both set the {a.overlap.sets}; clearing one would undo the other"
    return None


def _end(fault: FaultSpec, load_end: float) -> float:
    return load_end if fault.end is None else fault.end


def _window(fault: FaultSpec, load_end: float) -> str:
    end = "the end of the load" if fault.end is None else format_duration(fault.end)
    return f"{fault.kind} from {format_duration(fault.at) if fault.at else '0s'} to {end}"
