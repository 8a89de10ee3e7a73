"""What a fault kind may ask of a running stack, as small interfaces a backend declares it offers.

Like Toxiproxy's optional toxic interfaces: a backend class lists the capabilities it implements in its
`capabilities` class attribute (readable before it is constructed, so validation can use it), each fault
kind lists those it `needs`, and validation explains a mismatch from the same declarations ("latency needs
network links; the compose backend offers ..."). Nothing here assumes the reference stack except the two
capabilities named for it (`ModelServerFaults`, `DeployControl`), which a user's stack simply does not offer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from toxiproxy.proxy import Proxy


@runtime_checkable
class ProcessControl(Protocol):
    """The node's process (or container) killed, started, restarted and frozen from outside."""

    def kill_node(self, node: str) -> dict[str, Any]:
        """SIGKILL, no warning (a lost host)."""
        ...

    def start_node(self, node: str) -> dict[str, Any]:
        """Start a killed or stopped node again, on the same address; does not wait for readiness."""
        ...

    def restart_node(self, node: str) -> dict[str, Any]: ...

    def pause_node(self, node: str) -> dict[str, Any]:
        """Freeze every process of the node: connections stay open, nothing answers."""
        ...

    def unpause_node(self, node: str) -> None: ...


@runtime_checkable
class NetworkIsolation(Protocol):
    """The node cut off from the rest of the stack, and reconnected exactly as it was."""

    def disconnect_node(self, node: str) -> dict[str, Any]: ...

    def reconnect_node(self, node: str) -> None: ...


@runtime_checkable
class ContainerControl(Protocol):
    """What a container runtime adds: a graceful stop, cgroup CPU/memory limits, a kernel OOM kill."""

    def stop_node(self, node: str) -> dict[str, Any]: ...

    def limit_node(self, node: str, *, cpus: float | None, memory: int | None) -> dict[str, Any]: ...

    def restore_node_limits(self, node: str) -> None:
        """Every limit back to what it was before the first `limit_node`."""
        ...

    def oom_kill_node(self, node: str) -> dict[str, Any]: ...


@runtime_checkable
class NetworkLinks(Protocol):
    """A Toxiproxy link between the gateway and each node: network toxics and link outages go there."""

    def link_proxy(self, node: str) -> Proxy: ...


@runtime_checkable
class ModelServerFaults(Protocol):
    """The reference model server's fault hooks: `/admin/faults` while it runs, settings when it starts."""

    admin_token: str

    def node_admin_url(self, node: str) -> str:
        """Where the harness reaches the node's admin hook directly (not through the fault proxy)."""
        ...

    def start_model_server(self, node: str, settings: Mapping[str, object]) -> dict[str, Any]:
        """Start the node's model server (killed before) with some of its `stack.model_server` settings
        changed, e.g. `{"warmup": 5.0}`; does not wait for readiness."""
        ...


@runtime_checkable
class DeployControl(Protocol):
    """The reference gateway's canary control API (`POST {gateway_url}/admin/canary`)."""

    admin_token: str
    gateway_url: str


@runtime_checkable
class StateProbe(Protocol):
    """The gateway reports its mechanisms' state at `GET {gateway_url}/admin/state` (breakers, canary,
    drift), which the harness polls during a run and mechanism expectations are verified from."""

    gateway_url: str


Capability = type[Any]
"""One of the protocols above."""

CAPABILITIES: tuple[Capability, ...] = (
    ProcessControl, NetworkIsolation, ContainerControl, NetworkLinks, ModelServerFaults, DeployControl,
    StateProbe,
)  # fmt: skip


def in_words(capabilities: Iterable[Capability]) -> str:
    """`{NetworkLinks, StateProbe}` → "network links, state probe" (sorted, for stable messages)."""
    names = sorted(re.sub(r"(?<!^)(?=[A-Z])", " ", c.__name__).lower() for c in capabilities)
    return ", ".join(names) or "nothing"
