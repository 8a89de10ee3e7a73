"""A user's compose file, read only for what the harness must know: its services, their labels and the
links it uses.

Targets in a user stack are chosen by service name or label, so the services become the scenario's
nodes; everything else about the stack stays the user's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.backends.variables import link_variable
from harness.scenario.model import ComposeSpec, ReplicaSpec
from harness.scenario.yaml_input import YamlInputError, read_yaml

PROXY_SERVICE = "chaosdrill-proxy"
"""The service the harness adds to a compose project with links (harness.backends.compose_links)."""
_LINK_REFERENCE = re.compile(r"(?<!\$)\$\{?(CHAOSDRILL_LINK_\w+)(:?[-?])?")
"""`${CHAOSDRILL_LINK_X}` or `$CHAOSDRILL_LINK_X` in a compose file, with its default or error form if any."""


def compose_services(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = read_yaml(path, "compose file")
    except YamlInputError as exc:
        raise ValueError(f"stack.compose.file: {exc} ({path})") from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise ValueError(f"stack.compose.file: {path} defines no services")
    return {str(name): service or {} for name, service in services.items()}


def compose_nodes(compose: ComposeSpec) -> list[ReplicaSpec]:
    """The services faults may target, with their compose labels as node labels."""
    services = compose_services(compose.file)
    if compose.entrypoint.service not in services:
        raise ValueError(
            f"stack.compose.entrypoint.service: no service {compose.entrypoint.service!r} in {compose.file}"
        )
    names = (
        compose.nodes
        if compose.nodes is not None
        else [n for n in services if n != compose.entrypoint.service]
    )
    unknown = [n for n in names if n not in services]
    if unknown:
        raise ValueError(f"stack.compose.nodes: no service {unknown[0]!r} in {compose.file}")
    _check_links(compose, services, names)
    nodes = []
    for name in names:
        labels = _labels(services[name].get("labels"))
        nodes.append(
            ReplicaSpec(
                name=name,
                accelerator="gpu" if labels.get("accelerator") == "gpu" else "cpu",
                region=labels.get("region", "default"),
                labels=labels,
            )
        )
    return nodes


def _check_links(compose: ComposeSpec, services: dict[str, dict[str, Any]], nodes: list[str]) -> None:
    """A link is named after a node (faults target nodes) and forwards to a service of the file."""
    for name, upstream in compose.links.items():
        where = f"stack.compose.links.{name}"
        if name not in nodes:
            raise ValueError(f"{where}: no node {name!r} (the nodes: {', '.join(nodes) or 'none'})")
        service = upstream.rpartition(":")[0]
        if service not in services:
            raise ValueError(f"{where}: upstream {upstream!r} names no service of {compose.file}")
    declared = {link_variable(name) for name in compose.links}
    for match in _LINK_REFERENCE.finditer(compose.file.read_text()):
        if match.group(1) not in declared and match.group(2) not in (":-", "-"):
            raise ValueError(f"stack.compose.links: {compose.file} uses ${{{match.group(1)}}}, a link not "
                             f"declared (declared: {', '.join(sorted(declared)) or 'none'})")  # fmt: skip
    if compose.links and PROXY_SERVICE in services:
        raise ValueError(f"stack.compose.links: {compose.file} has a service named {PROXY_SERVICE}, the "
                         "name of chaosdrill's link proxy; rename it")  # fmt: skip


def _labels(raw: object) -> dict[str, str]:
    """Compose allows labels as a mapping or as a list of `key=value` strings."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return {}


@dataclass(frozen=True)
class Exposure:
    """A way a compose file opens a service to the host's network: `what` (the key and value, ending with
    its verb) binds to `host`, None meaning every interface."""

    what: str
    host: str | None


def compose_exposures(services: dict[str, Any]) -> list[Exposure]:
    """Every published port and host-network service, as written or as `compose config` resolved them.

    Ports in short syntax (`[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, a bare container port or an
    int) or long syntax (`{target, published, host_ip}`); a port without a host IP is published on every
    interface, which is the engine's default.
    """
    exposures = []
    for name, service in services.items():
        where = f"services.{name}"
        service = service if isinstance(service, dict) else {}
        mode = service.get("network_mode")
        if isinstance(mode, str) and (mode == "host" or "$" in mode):
            host = mode if "$" in mode else None
            exposures.append(Exposure(f'{where}.network_mode "{mode}" listens on', host))
        ports = service.get("ports") or []
        if not isinstance(ports, list):
            raise ValueError(f"stack.compose.file: {where}.ports must be a list")
        for index, port in enumerate(ports):
            shown = ", ".join(f"{k}: {v}" for k, v in port.items()) if isinstance(port, dict) else port
            exposures.append(Exposure(f'{where}.ports[{index}] "{shown}" publishes on', _host_ip(port)))
    return exposures


def _host_ip(port: object) -> str | None:
    if isinstance(port, dict):
        return str(port["host_ip"]) if port.get("host_ip") else None
    spec = str(port).rpartition("/")[0] or str(port)  # without its protocol
    if spec.startswith("["):  # [IPv6]:HOST_PORT:CONTAINER_PORT
        return spec[: spec.index("]") + 1]
    parts = spec.rsplit(":", 2)
    return (parts[0] or None) if len(parts) == 3 else None
