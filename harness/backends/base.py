"""The interface every stack backend offers, so nothing above the backends asks which one it drives."""

from __future__ import annotations

from typing import Any, Protocol

from toxiproxy.proxy import Proxy


class StackControl(Protocol):
    """What fault injectors need from a running stack."""

    admin_token: str
    gateway_url: str

    def link_proxy(self, node: str) -> Proxy:
        """The fault-proxy link between the gateway and `node`."""
        ...

    def node_admin_url(self, node: str) -> str:
        """Where the harness reaches `node`'s admin fault hook directly (not through the proxy)."""
        ...

    def kill_node(self, node: str) -> dict[str, Any]: ...

    def start_node(self, node: str) -> dict[str, Any]: ...

    def node_faults(self) -> Any:
        """The backend's control for pause/restart/stop/partition/squeeze/OOM (see faults/container.py)."""
        ...


class StackBackend(StackControl, Protocol):
    """A backend's lifecycle on top of the controls; `stop` never raises (it runs on every exit path)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def pids(self) -> dict[str, Any]:
        """What runs where (pids, container ids), for events.jsonl."""
        ...
