"""From a planned fault to the injectors that carry it out on the running stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faults.base import Fault
from faults.container import NodePartition, NodePause, NodeRestart, NodeStop, OomKill, ResourceSqueeze
from faults.data import RequestDrift
from faults.deploy import CanaryDeploy
from faults.network import LinkDown, ToxicFault
from faults.node import AdminFault, NodeKill
from harness.backends.base import StackControl
from harness.plan import PlannedFault
from harness.scenario import faults as kinds
from harness.scenario.model import FaultSpec

_MS = 1000.0


def build_injectors(planned: PlannedFault, stack: StackControl) -> list[Fault]:
    """One injector per target node; deploy faults act once, on the gateway."""
    if planned.spec.kind_spec.category == "deploy":
        return [_deploy_injector(planned, stack)]
    if planned.spec.kind_spec.category == "data":
        return [RequestDrift(planned.spec.name, planned.spec.params)]
    return [_injector(planned, node, stack) for node in planned.targets]


def _injector(planned: PlannedFault, node: str, stack: StackControl) -> Fault:
    spec = planned.spec
    params = spec.typed_params()
    if spec.kind == "down":
        return LinkDown(stack.link_proxy(node))
    if isinstance(params, kinds.ToxicParams):
        return ToxicFault(
            stack.link_proxy(node),
            spec.kind,
            toxic_attributes(params),
            name=f"chaosdrill-{spec.name}",
            stream=params.stream,
            toxicity=params.toxicity,
        )
    action = spec.kind_spec.action
    if action in _NODE_INJECTORS:
        return _NODE_INJECTORS[action](spec, params, node, stack)
    body = {"hang": True} if action == "hang" else admin_fault_body(params)
    return AdminFault(stack.node_admin_url(node), stack.admin_token, node, body)


def _squeeze(params: Any, node: str, control: Any) -> Fault:
    cpus = params.cpus if isinstance(params, kinds.CpuSqueezeParams) else None
    memory = params.memory if isinstance(params, kinds.MemorySqueezeParams) else None
    return ResourceSqueeze(control, node, cpus=cpus, memory=memory)


_NODE_INJECTORS: dict[str, Callable[[FaultSpec, Any, str, StackControl], Fault]] = {
    "kill": lambda spec, _, node, stack: NodeKill(stack, node, restart=spec.duration is not None),
    "pause": lambda _, __, node, stack: NodePause(stack.node_faults(), node),
    "restart": lambda _, __, node, stack: NodeRestart(stack.node_faults(), node),
    "stop": lambda _, __, node, stack: NodeStop(stack.node_faults(), node),
    "partition": lambda _, __, node, stack: NodePartition(stack.node_faults(), node),
    "squeeze": lambda _, params, node, stack: _squeeze(params, node, stack.node_faults()),
    "oom": lambda spec, _, node, stack: OomKill(stack.node_faults(), node, restart=spec.duration is not None),
}
"""Node faults done to the replica from outside (by the backend), as opposed to its admin fault hook."""


def _deploy_injector(planned: PlannedFault, stack: StackControl) -> Fault:
    params = planned.spec.typed_params()
    version = params.version if isinstance(params, kinds.CanaryDeployParams) else "v2-bad"
    assert isinstance(params, kinds.CanaryDeployParams | kinds.BadDeployParams)
    return CanaryDeploy(stack.gateway_url, stack.admin_token, version, params.weight)


def toxic_attributes(params: Any) -> dict[str, Any]:
    """Scenario parameters (seconds) to Toxiproxy toxic attributes (ms, KB/s, µs, bytes)."""
    match params:
        case kinds.LatencyParams():
            return {"latency": round(params.latency * _MS), "jitter": round(params.jitter * _MS)}
        case kinds.BandwidthParams():
            return {"rate": params.rate_kbps}
        case kinds.SlowCloseParams():
            return {"delay": round(params.delay * _MS)}
        case kinds.TimeoutParams() | kinds.ResetPeerParams():
            return {"timeout": round(params.timeout * _MS)}
        case kinds.SlicerParams():
            return {
                "average_size": params.average_size,
                "size_variation": params.size_variation,
                "delay": round(params.delay * 1e6),
            }
        case kinds.LimitDataParams():
            return {"bytes": params.bytes}
    raise TypeError(f"no toxic for {type(params).__name__}")


def admin_fault_body(params: Any) -> dict[str, Any]:
    """Scenario parameters to the model server's `/admin/faults` body."""
    match params:
        case kinds.ErrorBurstParams():
            return {"error_rate": params.rate, "error_status": params.status, "error_message": params.message}
        case kinds.SlowdownParams():
            return {"slowdown": params.factor}
        case kinds.OomParams():
            return {"oom_batch_size": params.batch_size}
    raise TypeError(f"no admin fault for {type(params).__name__}")
