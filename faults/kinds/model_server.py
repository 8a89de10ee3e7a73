"""A sick model server: hangs, error bursts (CUDA Xid errors), slowdowns (thermal throttling), CUDA OOMs.

Only the serving process can make its own inference misbehave while staying up, so these go through the
reference model server's token-protected `/admin/faults` hook. Its settings merge, so faults that set
different fields layer on one node; each parameter model says which field it sets (for the overlap check)
and what it posts. The `gpu-*` kinds are the same faults on GPU nodes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from faults.capabilities import ModelServerFaults
from faults.injector import Injector
from faults.kind import FaultKind, FaultOrder, FaultParams, Overlap
from faults.node import AdminFault
from stack.server_faults import DEFAULT_XID_MESSAGE


class AdminParams(FaultParams):
    SETS: ClassVar[str]
    """The model server setting the fault changes, in words."""

    def admin_body(self) -> dict[str, Any]:
        """The `/admin/faults` body that makes the model server misbehave this way."""
        raise NotImplementedError


class HangParams(AdminParams):
    SETS = "model server's hang"

    def admin_body(self) -> dict[str, Any]:
        return {"hang": True}


class ErrorBurstParams(AdminParams):
    SETS = "model server's error rate"
    rate: float = Field(1.0, gt=0, le=1)
    status: int = Field(500, ge=500, le=599)
    """500, not the model server's own default of 503: an Xid error is a deterministic failure the gateway
    must not retry (it retries 503s, which say "overloaded, try elsewhere")."""
    message: str = DEFAULT_XID_MESSAGE

    def admin_body(self) -> dict[str, Any]:
        return {"error_rate": self.rate, "error_status": self.status, "error_message": self.message}


class SlowdownParams(AdminParams):
    SETS = "model server's slowdown factor"
    factor: float = Field(gt=1)

    def admin_body(self) -> dict[str, Any]:
        return {"slowdown": self.factor}


class OomParams(AdminParams):
    SETS = "model server's OOM batch size"
    batch_size: PositiveInt
    """Batches with more rows than this fail like a CUDA out-of-memory error."""

    def admin_body(self) -> dict[str, Any]:
        return {"oom_batch_size": self.batch_size}


@dataclass(frozen=True, kw_only=True)
class AdminHookFault(FaultKind[AdminParams]):
    category: Literal["node"] = "node"
    needs: frozenset[Any] = frozenset({ModelServerFaults})

    def injectors(self, order: FaultOrder[AdminParams], stack: ModelServerFaults) -> list[Injector]:
        body = order.params.admin_body()
        return [AdminFault(stack.node_admin_url(n), stack.admin_token, n, body) for n in order.targets]


def _admin(name: str, params: type[AdminParams], *, gpu_only: bool = False) -> AdminHookFault:
    return AdminHookFault(name=name, params=params, gpu_only=gpu_only, overlap=Overlap(sets=params.SETS))


KINDS = (
    _admin("node-hang", HangParams),
    _admin("error-burst", ErrorBurstParams),
    _admin("slowdown", SlowdownParams),
    _admin("gpu-hang", HangParams, gpu_only=True),
    _admin("gpu-xid", ErrorBurstParams, gpu_only=True),
    _admin("gpu-throttle", SlowdownParams, gpu_only=True),
    _admin("gpu-oom", OomParams, gpu_only=True),
)
