"""A cold start: a node restarted with its model loading slowly. For its first `warmup` seconds it answers
503 on /readyz and serves `slowdown` times slower, like a replica rescheduled onto a host that has to load
the model again; a gateway that health-checks its replicas keeps traffic off it until it is warm.

Applied as a kill, then a start of the model server with a warm-up (`ModelServerFaults`); nothing to undo
when the window ends: the node warms up by itself `warmup` after it started (give the fault a `duration`
covering the warm-up, or none: it then lasts until the load ends, like `node-restart`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field

from faults.capabilities import ModelServerFaults, ProcessControl
from faults.injector import Injector
from faults.kind import WHOLE_NODE, FaultKind, FaultOrder, FaultParams, Overlap
from harness.durations import PositiveDuration


class ColdStartParams(FaultParams):
    warmup: PositiveDuration = 5.0
    """How long the restarted node stays cold, from when its model server has started."""
    slowdown: float = Field(10.0, ge=1)
    """How much slower it answers while cold."""


class _Restartable(ProcessControl, ModelServerFaults, Protocol):
    pass


class ColdRestart:
    """Kill the node, then start its model server cold."""

    def __init__(self, stack: _Restartable, node: str, params: ColdStartParams):
        self.stack = stack
        self.node = node
        self.settings = {"warmup": params.warmup, "warmup_slowdown": params.slowdown}
        self.description = f"cold start of {node} ({params.warmup:g}s warm-up, {params.slowdown:g}x slower)"

    def apply(self) -> dict[str, Any]:
        killed = self.stack.kill_node(self.node)
        return {"killed": killed, "started": self.stack.start_model_server(self.node, self.settings)}

    def clear(self) -> None:
        """Nothing to undo: the node warms up by itself."""


@dataclass(frozen=True, kw_only=True)
class ColdStart(FaultKind[ColdStartParams]):
    name: str = "cold-start"
    params: type[ColdStartParams] = ColdStartParams
    category: Literal["node"] = "node"
    needs: frozenset[Any] = frozenset({ProcessControl, ModelServerFaults})
    open_ended: bool = True
    overlap: Overlap = WHOLE_NODE

    def injectors(self, order: FaultOrder[ColdStartParams], stack: _Restartable) -> list[Injector]:
        return [ColdRestart(stack, node, order.params) for node in order.targets]


KINDS = (ColdStart(),)
