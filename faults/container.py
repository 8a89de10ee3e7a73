"""Node faults that act on the node's whole runtime (its container, or its process locally) from outside.

Each injector talks to the capabilities it needs (`faults.capabilities`) rather than to Docker directly, so a
backend implements what it can: containers do all of them (`harness/backends/docker_node_faults.py`), local
processes the ones with a natural equivalent (`harness/backends/local.py`: SIGSTOP/SIGCONT, kill + start,
link disabled at the proxy).
"""

from __future__ import annotations

from typing import Any, Protocol

from faults.capabilities import ContainerControl, NetworkIsolation, ProcessControl


class _StopStart(ContainerControl, ProcessControl, Protocol):
    pass


class NodePause:
    """Freeze every process of the node: it keeps its connections open and answers nothing (a hung node)."""

    def __init__(self, control: ProcessControl, node: str):
        self.control = control
        self.node = node
        self.description = f"pause {node}"
        self._paused = False

    def apply(self) -> dict[str, Any]:
        details = self.control.pause_node(self.node)
        self._paused = True
        return details

    def clear(self) -> None:
        if self._paused:
            self.control.unpause_node(self.node)
            self._paused = False


class NodeRestart:
    """Restart the node at once; nothing to undo, the restart is the fault."""

    def __init__(self, control: ProcessControl, node: str):
        self.control = control
        self.node = node
        self.description = f"restart {node}"

    def apply(self) -> dict[str, Any]:
        return self.control.restart_node(self.node)

    def clear(self) -> None:
        """Nothing to undo: the node is already back (or coming back) on its own."""


class NodeStop:
    """Stop the node gracefully (SIGTERM, then SIGKILL after a grace period); start it again on clear."""

    def __init__(self, control: _StopStart, node: str):
        self.control = control
        self.node = node
        self.description = f"stop {node}"
        self._stopped = False

    def apply(self) -> dict[str, Any]:
        details = self.control.stop_node(self.node)
        self._stopped = True
        return details

    def clear(self) -> None:
        if self._stopped:
            self.control.start_node(self.node)
            self._stopped = False


class NodePartition:
    """Cut the node off the stack's network; a region's partition is one of these per node in it."""

    def __init__(self, control: NetworkIsolation, node: str):
        self.control = control
        self.node = node
        self.description = f"partition {node}"
        self._cut = False

    def apply(self) -> dict[str, Any]:
        details = self.control.disconnect_node(self.node)
        self._cut = True
        return details

    def clear(self) -> None:
        if self._cut:
            self.control.reconnect_node(self.node)
            self._cut = False


class ResourceSqueeze:
    """Lower the node's CPU quota (`cpus`, in cores) and/or memory limit (`memory`, bytes)."""

    def __init__(
        self, control: ContainerControl, node: str, *, cpus: float | None = None, memory: int | None = None
    ):
        if cpus is None and memory is None:
            raise ValueError("a resource squeeze needs cpus or memory")
        self.control = control
        self.node = node
        self.cpus = cpus
        self.memory = memory
        limits = [f"{cpus:g} CPUs"] if cpus is not None else []
        limits += [f"{memory} bytes"] if memory is not None else []
        self.description = f"squeeze {node} to {' and '.join(limits)}"
        self._squeezed = False

    def apply(self) -> dict[str, Any]:
        details = self.control.limit_node(self.node, cpus=self.cpus, memory=self.memory)
        self._squeezed = True
        return details

    def clear(self) -> None:
        if self._squeezed:
            self.control.restore_node_limits(self.node)
            self._squeezed = False


class OomKill:
    """A real kernel OOM kill of the node's main process; with `restart`, limits restored and the node
    started again when the window ends."""

    def __init__(self, control: _StopStart, node: str, *, restart: bool):
        self.control = control
        self.node = node
        self.restart = restart
        self.description = f"OOM-kill {node}" + (" (restart at end of window)" if restart else "")
        self._killed = False

    def apply(self) -> dict[str, Any]:
        self._killed = True  # limits may be squeezed even if the kill then fails: clear must restore them
        return self.control.oom_kill_node(self.node)

    def clear(self) -> None:
        if self._killed:
            self.control.restore_node_limits(self.node)
            if self.restart:
                self.control.start_node(self.node)
            self._killed = False
