"""Removing what a run put into the Docker Engine, found by label rather than remembered.

Going by label means the same code tears down a live run, a run whose harness was SIGKILLed, and every
run at once (`chaosdrill cleanup`): nothing depends on the harness process that created the objects.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, NotFound

from harness.backends.docker_client import OWNER_LABEL, RUN_LABEL, labelled_identity
from harness.run_identity import RunIdentity


@dataclass
class Removed:
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """`kind name: engine error` for what the engine refused to remove."""


def label_filter(run_id: str | None) -> dict[str, str]:
    return {"label": f"{RUN_LABEL}={run_id}" if run_id else f"{OWNER_LABEL}=1"}


def remove_labelled(client: docker.DockerClient, run_id: str | None = None) -> Removed:
    """Force-remove containers (in parallel: each removal waits on the engine), then networks and volumes,
    which the engine only lets go once no container uses them."""
    filters = label_filter(run_id)
    result = Removed()
    containers = client.containers.list(all=True, filters=filters)
    removals: list[tuple[str, Callable[[], object]]] = [
        (f"container {c.name}", lambda c=c: c.remove(force=True, v=True)) for c in containers
    ]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(removals)))) as pool:
        outcomes = list(pool.map(_remove, removals))
    outcomes += [_remove((f"network {n.name}", n.remove)) for n in client.networks.list(filters=filters)]
    outcomes += [
        _remove((f"volume {v.name}", lambda v=v: v.remove(force=True)))
        for v in client.volumes.list(filters=filters)
    ]
    for what, error in outcomes:
        if error:
            result.failed.append(f"{what}: {error}")
        else:
            result.removed.append(what)
    return result


def labelled_runs(client: docker.DockerClient) -> dict[str, RunIdentity | None]:
    """Every run that has containers, networks or volumes, with the harness identity its labels carry."""
    filters = label_filter(None)
    objects = [
        *(c.labels for c in client.containers.list(all=True, filters=filters)),
        *(n.attrs.get("Labels") or {} for n in client.networks.list(filters=filters)),
        *(v.attrs.get("Labels") or {} for v in client.volumes.list(filters=filters)),
    ]
    runs: dict[str, RunIdentity | None] = {}
    for labels in objects:
        run_id = labels.get(RUN_LABEL)
        if run_id and runs.get(run_id) is None:
            runs[run_id] = labelled_identity(labels)
    return runs


def leftovers(client: docker.DockerClient, run_id: str | None = None) -> list[str]:
    """Everything still labelled: empty after a successful teardown."""
    filters = label_filter(run_id)
    return [
        *(f"container {c.name}" for c in client.containers.list(all=True, filters=filters)),
        *(f"network {n.name}" for n in client.networks.list(filters=filters)),
        *(f"volume {v.name}" for v in client.volumes.list(filters=filters)),
    ]


def _remove(removal: tuple[str, Callable[[], object]]) -> tuple[str, str]:
    """(what, error or ""); an object that vanished meanwhile (a concurrent teardown) counts as removed."""
    what, remove = removal
    try:
        remove()
    except NotFound:
        pass
    except APIError as exc:
        if "already in progress" not in str(exc):
            return what, str(exc.explanation or exc)
    return what, ""
