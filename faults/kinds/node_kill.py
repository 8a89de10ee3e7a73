"""A serving node SIGKILLed without warning (a lost GPU host), restarted at the end of its window if it has
one. Done by the backend from outside: a dying host gives no warning to the process on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from faults.capabilities import ProcessControl
from faults.injector import Injector
from faults.kind import WHOLE_NODE, FaultKind, FaultOrder, NoParams, Overlap
from faults.node import NodeKill


@dataclass(frozen=True, kw_only=True)
class Kill(FaultKind[NoParams]):
    params: type[NoParams] = NoParams
    category: Literal["node"] = "node"
    needs: frozenset[Any] = frozenset({ProcessControl})
    open_ended: bool = True
    overlap: Overlap = WHOLE_NODE

    def injectors(self, order: FaultOrder[NoParams], stack: ProcessControl) -> list[Injector]:
        restart = order.duration is not None
        return [NodeKill(stack, node, restart=restart) for node in order.targets]

    def undo_words(self, targets: str) -> str:
        return f"restart {targets}"


KINDS = (Kill(name="node-kill"), Kill(name="gpu-node-kill", gpu_only=True))
