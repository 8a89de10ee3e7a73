"""A user's compose file, read only for what the harness must know: its services and their labels.

Targets in a user stack are chosen by service name or label, so the services become the scenario's
nodes; everything else about the stack stays the user's business.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.scenario.model import ComposeSpec, ReplicaSpec


def compose_services(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"stack.compose.file: cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(
            f"stack.compose.file: {path} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from None
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


def _labels(raw: object) -> dict[str, str]:
    """Compose allows labels as a mapping or as a list of `key=value` strings."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return {}
