"""Links for a compose stack: chaosdrill's fault proxy as one more service of the user's project.

The proxy (the reference stack image running `python -m faults.toxiproxy`) joins every network the user's
services are on, so a link reaches its `SERVICE:PORT` through the project's own DNS, and the user's file
reaches each link as `${CHAOSDRILL_LINK_GPU_0}` = `chaosdrill-proxy:9000`: the run's variables are in the
environment of every compose invocation, so compose's own interpolation fills them in. A link's listen
port is fixed by its place in `stack.compose.links`, so every address is known before anything starts.
Only the proxy's API is published, on 127.0.0.1, for the harness to make links and toxics through
(`harness.backends.links`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.backends.compose_override import HOST
from harness.backends.docker_backend import LINK_PORT_BASE, TOXIPROXY_PORT
from harness.scenario.compose import PROXY_SERVICE


def link_addresses(links: Mapping[str, str]) -> dict[str, str]:
    """node → the link's address inside the project's network (`chaosdrill-proxy:PORT`)."""
    return {node: f"{PROXY_SERVICE}:{LINK_PORT_BASE + index}" for index, node in enumerate(links)}


def listen_address(address: str) -> str:
    """Where the proxy listens for a link at `address`: on every interface of its container."""
    return f"0.0.0.0:{address.rpartition(':')[2]}"


def proxy_service(image: str, labels: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    """The override's service entry for the proxy, on the networks of the resolved file's services."""
    command = ["python", "-m", "faults.toxiproxy", "--host", "0.0.0.0", "--port", str(TOXIPROXY_PORT),
               "--allow-remote"]  # fmt: skip
    return {
        "image": image,
        "command": command,
        "ports": [f"{HOST}::{TOXIPROXY_PORT}"],
        "labels": labels,
        "networks": _networks(config["services"]),
    }


def _networks(services: dict[str, Any]) -> list[str]:
    """The networks services join: those they list, `default` for those listing none; a service with a
    `network_mode` (host, another service's, none) is on no network of the project's."""
    joined: list[str] = []
    for spec in services.values():
        spec = spec or {}
        if spec.get("network_mode"):
            continue
        joined += list(spec.get("networks") or ["default"])
    return list(dict.fromkeys(joined)) or ["default"]
