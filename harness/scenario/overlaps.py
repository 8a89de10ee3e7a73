"""Which faults may overlap in time on one node, decided per kind and checked on the resolved plan.

Checked after targets are drawn, so a selector's seed-picked node is what counts. Every fault is undone on
its own when its window ends, so two faults may share a node only where neither's undo (or the fault
itself) wipes the other's effect:

- network toxics layer: each is a toxic of its own name on the node's link;
- process-lifecycle faults (kill, restart, stop, pause, partition, OOM kill) change the whole node: a
  restart wipes in-process faults, a second restart collides on the port, a partition's undo brings a
  downed link back up; they overlap network toxics only;
- two `down` faults on one link: the first to clear brings the link up under the second;
- model-server admin faults layer when they set different fields (error rate, slowdown factor, hang, OOM
  batch size), never the same one;
- resource squeezes: clearing one restores every limit, so never two at once;
- deploy faults: the gateway runs one canary, so never two at once; data drifts always layer.

A fault without `duration` lasts until the load ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

from harness.durations import format_duration
from harness.scenario.model import FaultSpec, Scenario

if TYPE_CHECKING:
    from harness.plan import PlannedFault

_LIFECYCLE = frozenset(
    {"node-kill", "gpu-node-kill", "node-restart", "node-stop", "node-pause", "partition", "oom-kill"}
)
_SETS = {
    "error-burst": "model server's error rate",
    "gpu-xid": "model server's error rate",
    "slowdown": "model server's slowdown factor",
    "gpu-throttle": "model server's slowdown factor",
    "node-hang": "model server's hang",
    "gpu-hang": "model server's hang",
    "gpu-oom": "model server's OOM batch size",
    "cpu-squeeze": "node's resource limits",
    "memory-squeeze": "node's resource limits",
    "down": "link's up/down state",
}
"""What a layered fault sets; two overlapping faults on one node must not set the same thing."""


def check_overlaps(faults: Sequence[PlannedFault], scenario: Scenario) -> None:
    """ValueError naming both faults (and the node) for the first pair that may not overlap."""
    index = {f.name: i for i, f in enumerate(scenario.faults)}
    load_end = scenario.load.duration
    for first, second in combinations(faults, 2):
        a, b = sorted((first.spec, second.spec), key=lambda f: index[f.name])
        if not (a.at < _end(b, load_end) and b.at < _end(a, load_end)):  # half-open windows
            continue
        if a.kind_spec.category == b.kind_spec.category == "deploy":
            where, reason = "", "the gateway runs one canary at a time"
        else:
            shared = sorted(set(first.targets) & set(second.targets))
            conflicts = [(node, _conflict(a.kind, b.kind)) for node in shared]
            where, reason = next(((f" on node {n}", r) for n, r in conflicts if r), ("", None))
        if reason:
            raise ValueError(
                f"faults[{index[b.name]}] ({b.name}, {_window(b, load_end)}) overlaps {a.name} "
                f"({_window(a, load_end)}){where}: {reason}"
            )


def _conflict(a: str, b: str) -> str | None:
    """Why kinds `a` and `b` may not overlap on one node; None where they layer."""
    if a in _LIFECYCLE or b in _LIFECYCLE:
        lifecycle, other = (a, b) if a in _LIFECYCLE else (b, a)
        if other in _LIFECYCLE or other in _SETS:
            return f"{lifecycle} acts on the whole node and layers with network toxics only"
        return None
    if a in _SETS and _SETS.get(b) == _SETS[a]:
        return f"both set the {_SETS[a]}; clearing one would undo the other"
    return None


def _end(fault: FaultSpec, load_end: float) -> float:
    return load_end if fault.end is None else fault.end


def _window(fault: FaultSpec, load_end: float) -> str:
    end = "the end of the load" if fault.end is None else format_duration(fault.end)
    return f"{fault.kind} from {format_duration(fault.at) if fault.at else '0s'} to {end}"
