"""The built-in reference stack as a topology: which processes to start and how they are wired.

Backends decide *where* processes run (local processes, containers); this module decides *what* runs: one
model server per replica, the canary slots, and a gateway whose replica URLs point through the fault
proxy, so that every gateway-to-replica link can be broken on demand.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.scenario.model import StackSpec

MODEL_SERVER_TOKEN_ENV = "CHAOSDRILL_ADMIN_TOKEN"
GATEWAY_TOKEN_ENV = "CHAOSDRILL_GATEWAY_ADMIN_TOKEN"
"""The admin token reaches local processes by environment, which only their owner (and root) can read;
containers get it as a file (`--admin-token-file`). It is never in argv, a config file or the run dir."""


@dataclass
class NodeSpec:
    """A model-server replica and how to start it."""

    name: str
    labels: dict[str, str]
    version: str
    canary: bool = False
    port: int = 0
    link_url: str = ""
    """Where the gateway reaches it: through the fault proxy."""
    extra: dict[str, Any] = field(default_factory=dict)
    server: dict[str, object] = field(default_factory=dict)
    """`stack.model_server` settings every start of this node gets; a fault's own settings win."""

    def model_server_argv(
        self, host: str = "127.0.0.1", settings: Mapping[str, object] | None = None
    ) -> list[str]:
        """No admin token: any local user can read a command line (see `MODEL_SERVER_TOKEN_ENV`).
        `settings`: other `stack.model_server` settings by name (`{"warmup": 5.0}` → `--warmup 5.0`)."""
        chosen = {**self.server, **(settings or {})}
        flags = {f"--{key.replace('_', '-')}": str(value) for key, value in chosen.items()}
        return [
            sys.executable, "-m", "stack.model_server",
            "--host", host, "--port", str(self.port), "--name", self.name,
            "--version", self.version, "--accelerator", self.labels.get("accelerator", "cpu"),
            "--region", self.labels.get("region", "east"), *(word for flag in flags.items() for word in flag),
        ]  # fmt: skip


def reference_nodes(stack: StackSpec) -> list[NodeSpec]:
    """The replicas, then the canary slots."""
    slots = [
        NodeSpec(name, labels, stack.version, canary=True, server=stack.model_server.settings())
        for name, labels in stack.canary_slots().items()
    ]
    replicas = [
        NodeSpec(r.name, r.all_labels(), stack.version, server=stack.model_server.settings())
        for r in stack.replicas
    ]
    return replicas + slots


def gateway_config(stack: StackSpec, nodes: list[NodeSpec]) -> dict[str, Any]:
    """The gateway's JSON config: pools by region (scenario order), canary slots, mechanism overrides; no
    admin token, so the file can be kept in the run dir."""
    regions: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        if not node.canary:
            regions.setdefault(node.labels["region"], []).append(_replica_entry(node))
    return {
        "pools": [{"region": region, "replicas": replicas} for region, replicas in regions.items()],
        "canary_replicas": [_replica_entry(n) for n in nodes if n.canary],
        "primary_region": stack.gateway.primary_region,
        "profile": stack.gateway.profile,
        "mechanisms": stack.gateway.mechanisms.model_dump(),
    }


def _replica_entry(node: NodeSpec) -> dict[str, Any]:
    return {"name": node.name, "url": node.link_url, "labels": node.labels}
