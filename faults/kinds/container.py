"""Faults on a node's whole runtime, done by the backend from outside: pause, restart, graceful stop,
partition, CPU/memory squeezes and a kernel OOM kill.

Containers offer all of them; local processes those with a natural equivalent (SIGSTOP/SIGCONT, kill and
start, the node's link disabled at the fault proxy): which is which follows from the capabilities each kind
needs and each backend offers. Pause, restart, stop, partition and OOM kill change the whole node; the
squeezes set its resource limits, and clearing one restores them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from faults.capabilities import ContainerControl, NetworkIsolation, ProcessControl
from faults.container import NodePartition, NodePause, NodeRestart, NodeStop, OomKill, ResourceSqueeze
from faults.injector import Injector
from faults.kind import WHOLE_NODE, FaultKind, FaultOrder, FaultParams, NoParams, Overlap


class CpuSqueezeParams(FaultParams):
    cpus: float = Field(gt=0)
    """CPU quota in cores, e.g. 0.2."""


_SIZE = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _parse_size(value: object) -> int:
    """`256m`-style sizes, as docker writes them, or plain bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?)b?\s*", str(value).lower())
    if not match:
        raise ValueError(f"invalid size {value!r}: use bytes or e.g. '256m', '1g'")
    return int(match.group(1)) * _SIZE[match.group(2)]


class MemorySqueezeParams(FaultParams):
    memory: Annotated[int, BeforeValidator(_parse_size), Field(ge=6 << 20)]
    """Memory limit; docker refuses less than 6 MiB."""


_LIMITS = Overlap(sets="node's resource limits")
Build = Callable[[FaultOrder[Any], Any, str], Injector]
"""(order, stack, node) → the injector for one target node."""


@dataclass(frozen=True, kw_only=True)
class NodeRuntimeFault(FaultKind[Any]):
    category: Literal["node"] = "node"
    build: Build

    def injectors(self, order: FaultOrder[Any], stack: Any) -> list[Injector]:
        return [self.build(order, stack, node) for node in order.targets]


_PROCESS = frozenset({ProcessControl})
_CONTAINER = frozenset({ContainerControl})
_CONTAINER_PROCESS = frozenset({ContainerControl, ProcessControl})

KINDS = (
    NodeRuntimeFault(name="node-pause", params=NoParams, needs=_PROCESS, overlap=WHOLE_NODE,
                     build=lambda _, stack, node: NodePause(stack, node)),
    NodeRuntimeFault(name="node-restart", params=NoParams, needs=_PROCESS, overlap=WHOLE_NODE,
                     open_ended=True, build=lambda _, stack, node: NodeRestart(stack, node)),
    NodeRuntimeFault(name="node-stop", params=NoParams, needs=_CONTAINER_PROCESS, overlap=WHOLE_NODE,
                     build=lambda _, stack, node: NodeStop(stack, node)),
    NodeRuntimeFault(name="partition", params=NoParams, needs=frozenset({NetworkIsolation}),
                     overlap=WHOLE_NODE, build=lambda _, stack, node: NodePartition(stack, node)),
    NodeRuntimeFault(name="cpu-squeeze", params=CpuSqueezeParams, needs=_CONTAINER, overlap=_LIMITS,
                     build=lambda o, stack, node: ResourceSqueeze(stack, node, cpus=o.params.cpus)),
    NodeRuntimeFault(name="memory-squeeze", params=MemorySqueezeParams, needs=_CONTAINER, overlap=_LIMITS,
                     build=lambda o, stack, node: ResourceSqueeze(stack, node, memory=o.params.memory)),
    NodeRuntimeFault(name="oom-kill", params=NoParams, needs=_CONTAINER_PROCESS, overlap=WHOLE_NODE,
                     open_ended=True,
                     build=lambda o, stack, node: OomKill(stack, node, restart=o.duration is not None)),
)  # fmt: skip
