"""The container faults that have a natural local-process equivalent, for the local backend.

Pause is SIGSTOP/SIGCONT of the model server (its process group: it runs in its own session), a restart
is SIGKILL then start on the same port, and a partition disables the node's link at the fault proxy, the
only path between the gateway and the node. CPU/memory squeezes and OOM kills need a cgroup and stay
container-only.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from harness.backends.local import LocalBackend


class LocalNodeFaults:
    def __init__(self, backend: LocalBackend):
        self.backend = backend

    def pause_node(self, node: str) -> dict[str, Any]:
        pid = self._pid(node)
        os.killpg(pid, signal.SIGSTOP)
        return {"node": node, "pid": pid, "signal": "SIGSTOP"}

    def unpause_node(self, node: str) -> None:
        process = self.backend.processes[node]
        if process.alive and process.pid is not None:
            os.killpg(process.pid, signal.SIGCONT)

    def restart_node(self, node: str) -> dict[str, Any]:
        killed = self.backend.kill_node(node)
        started = self.backend.start_node(node)
        return {"node": node, "killed_pid": killed["pid"], "pid": started["pid"]}

    def disconnect_node(self, node: str) -> dict[str, Any]:
        proxy = self.backend.link_proxy(node)
        proxy.disable()
        return {"node": node, "link": proxy.name, "enabled": False}

    def reconnect_node(self, node: str) -> None:
        self.backend.link_proxy(node).enable()

    def _pid(self, node: str) -> int:
        pid = self.backend.processes[node].pid
        if pid is None:
            raise KeyError(f"{node} has no running process")
        return pid
