"""The compose override the harness lays over a user's file: run labels everywhere, the entrypoint published,
the tags of what chaosdrill builds, and the link proxy when the scenario declares links.

An override, rather than an edited copy of the user's file, keeps their file the single source of truth:
compose merges the two, so labels add to theirs and the published port adds to theirs. Labels are what
teardown and `chaosdrill cleanup` find a run's objects by; external networks and volumes are not the
run's, so they get none (compose also refuses extra keys on them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.scenario.model import EntrypointSpec

HOST = "127.0.0.1"


def compose_override(
    config: dict[str, Any],
    entrypoint: EntrypointSpec,
    labels: dict[str, str],
    host_port: int | None,
    *,
    images: Mapping[str, str] | None = None,
    extra_services: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`config` is the user's resolved file (`compose config`); `host_port` None lets the engine pick one;
    `images` tags services that build without naming an image; `extra_services` are the harness's own."""
    services: dict[str, dict[str, Any]] = {name: {"labels": labels} for name in config["services"]}
    published = f"{HOST}:{host_port or ''}:{entrypoint.port}"
    services[entrypoint.service]["ports"] = [published]
    for service, image in (images or {}).items():
        services[service]["image"] = image
    services.update(extra_services or {})
    networks = {"default": {}, **(config.get("networks") or {})}
    override: dict[str, Any] = {
        "services": services,
        "networks": _labelled(networks, labels),
        "volumes": _labelled(config.get("volumes") or {}, labels),
    }
    if "version" in config:
        override["version"] = config["version"]  # compose v1 refuses to merge files of different versions
    return {key: value for key, value in override.items() if value}


def _labelled(declared: dict[str, Any], labels: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: {"labels": labels} for name, spec in declared.items() if not (spec or {}).get("external")}
