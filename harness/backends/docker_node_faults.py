"""Container-level node faults for the docker backends: `ProcessControl` (bar kill and start),
`NetworkIsolation` and `ContainerControl` (faults/capabilities.py) done to containers.

One mix-in serves the reference stack in containers and a user's compose stack alike: all it needs from a
backend is the node's container and a way to start the node again (`ContainerNodes`). A partition
remembers each network the container was on with its DNS aliases (a compose service is found by its
service name, which is an alias), so reconnecting restores exactly what was cut.

Limits are remembered before the first change and restored exactly; a cgroup-v1 engine cannot set a
memory limit back to "unlimited", so a container that had none gets the host's total memory, which is the
same in effect.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import psutil
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from harness.errors import HarnessError

_CPU_PERIOD_US = 100_000
_STOP_GRACE_S = 2
_OOM_HEADROOM = 48 << 20
_OOM_DEADLINE_S = 15.0
# Make the node's main process the OOM killer's first choice (raising oom_score_adj needs no privilege),
# then allocate memory until the kernel kills it: `tail` buffers a "line" of /dev/zero without end, and
# needs only a shell and coreutils/busybox, which a user's image has where Python may not.
_MEMORY_HOG = "echo 1000 > /proc/1/oom_score_adj && exec tail /dev/zero"


class ContainerNodes(Protocol):
    def container(self, node: str) -> Container:
        """The node's container as it is now; NotFound once it is gone."""
        ...

    def start_node(self, node: str) -> dict[str, Any]:
        """Start the node's stopped container, or recreate it if it was removed."""
        ...


class DockerNodeFaults(ContainerNodes):
    """Mixed into a backend that has `container` and `start_node`; call its `__init__` from the backend's."""

    def __init__(self) -> None:
        self._saved_limits: dict[str, dict[str, int]] = {}
        self._cut_from: dict[str, dict[str, list[str]]] = {}
        """node → {network name: aliases} it was disconnected from."""

    def pause_node(self, node: str) -> dict[str, Any]:
        container = self.container(node)
        container.pause()
        return {"node": node, "container": container.short_id, "state": "paused"}

    def unpause_node(self, node: str) -> None:
        container = self._existing(node)
        if container is not None and container.status == "paused":
            container.unpause()

    def restart_node(self, node: str) -> dict[str, Any]:
        container = self.container(node)
        container.restart(timeout=_STOP_GRACE_S)
        return {"node": node, "container": container.short_id}

    def stop_node(self, node: str) -> dict[str, Any]:
        container = self.container(node)
        container.stop(timeout=_STOP_GRACE_S)
        container.reload()
        exit_code = container.attrs["State"]["ExitCode"]
        return {"node": node, "container": container.short_id, "exit_code": exit_code}

    def disconnect_node(self, node: str) -> dict[str, Any]:
        container = self.container(node)
        endpoints = container.attrs["NetworkSettings"]["Networks"]
        cut = self._cut_from.setdefault(node, {})
        for name, endpoint in endpoints.items():
            cut[name] = [a for a in endpoint.get("Aliases") or [] if a != container.id[:12]]
            container.client.networks.get(name).disconnect(container, force=True)
        return {"node": node, "container": container.short_id, "networks": sorted(endpoints)}

    def reconnect_node(self, node: str) -> None:
        cut = self._cut_from.pop(node, {})
        container = self._existing(node)
        if container is None:
            return
        attached = container.attrs["NetworkSettings"]["Networks"]
        for name, aliases in cut.items():
            if name not in attached:
                container.client.networks.get(name).connect(container, aliases=aliases or None)

    def limit_node(self, node: str, *, cpus: float | None, memory: int | None) -> dict[str, Any]:
        container = self.container(node)
        self._remember_limits(node, container)
        changes: dict[str, int] = {}
        if cpus is not None:
            changes |= {"cpu_period": _CPU_PERIOD_US, "cpu_quota": round(cpus * _CPU_PERIOD_US)}
        if memory is not None:
            changes |= {"mem_limit": memory, "memswap_limit": memory}
        container.update(**changes)
        return {"node": node, "container": container.short_id, "limits": changes}

    def restore_node_limits(self, node: str) -> None:
        saved = self._saved_limits.pop(node, None)
        container = self._existing(node)
        if saved is None or container is None:
            return
        memory = saved["Memory"] or psutil.virtual_memory().total
        swap = saved["MemorySwap"] if saved["MemorySwap"] > 0 else memory
        container.update(
            cpu_period=saved["CpuPeriod"] or _CPU_PERIOD_US,
            cpu_quota=saved["CpuQuota"] or -1,
            mem_limit=memory,
            memswap_limit=swap,
        )

    def oom_kill_node(self, node: str) -> dict[str, Any]:
        """A memory limit just above current use, then a hog inside the container: the kernel OOM-kills the
        main process and the engine records OOMKilled, exactly as for a model that outgrew its memory."""
        container = self.container(node)
        usage = container.stats(stream=False, one_shot=True)["memory_stats"]["usage"]
        self.limit_node(node, cpus=None, memory=usage + _OOM_HEADROOM)
        container.exec_run(["sh", "-c", _MEMORY_HOG], detach=True)
        deadline = time.monotonic() + _OOM_DEADLINE_S
        while time.monotonic() < deadline:
            container.reload()
            if container.status in ("exited", "dead"):
                state = container.attrs["State"]
                if not state["OOMKilled"]:
                    code = state["ExitCode"]
                    raise HarnessError(f"{container.name} exited with code {code}, not OOM-killed")
                return {"node": node, "container": container.short_id, "oom_killed": True,
                        "exit_code": state["ExitCode"]}  # fmt: skip
            time.sleep(0.1)
        raise HarnessError(f"{container.name} was not OOM-killed within {_OOM_DEADLINE_S:g}s")

    def _remember_limits(self, node: str, container: Container) -> None:
        if node not in self._saved_limits:
            host = container.attrs["HostConfig"]
            self._saved_limits[node] = {k: int(host.get(k) or 0) for k in
                                        ("CpuPeriod", "CpuQuota", "Memory", "MemorySwap")}  # fmt: skip

    def _existing(self, node: str) -> Container | None:
        """The node's container, or None once it is gone (killed meanwhile): clears must then do nothing."""
        try:
            return self.container(node)
        except (NotFound, APIError):
            return None
