"""Faults on a serving node itself: killed from outside, or sick from inside via its admin fault hook.

A kill is done by the backend (SIGKILL of a process, or of a container), because a dying GPU node gives no
warning. Hangs, error bursts, slowdowns and OOMs are produced by the model server itself, since only the
process can make its own inference misbehave while staying up.
"""

from __future__ import annotations

from typing import Any

import httpx

from faults.capabilities import ProcessControl
from stack.server_faults import FaultSettings


class NodeKill:
    """SIGKILL a node; with `restart`, bring it back when the fault window ends."""

    def __init__(self, control: ProcessControl, node: str, *, restart: bool):
        self.control = control
        self.node = node
        self.restart = restart
        self.description = f"kill {node}" + (" (restart at end of window)" if restart else "")
        self._killed = False

    def apply(self) -> dict[str, Any]:
        details = self.control.kill_node(self.node)
        self._killed = True
        return details

    def clear(self) -> None:
        if self._killed and self.restart:
            self.control.start_node(self.node)
        self._killed = False


class AdminFault:
    """A fault the model server produces on request (`POST /admin/faults`).

    The server merges updates, so faults layer on one node (a slowdown during an error burst); clearing one
    therefore posts the server's defaults for *its own* fields only, never `DELETE` (which wipes them all).
    """

    def __init__(self, admin_url: str, token: str, node: str, body: dict[str, Any], timeout_s: float = 5.0):
        self.url = admin_url.rstrip("/") + "/admin/faults"
        self.headers = {"X-Admin-Token": token}
        self.node = node
        self.body = body
        self.timeout_s = timeout_s
        self.description = f"{body} on {node}"
        self._applied = False

    def apply(self) -> dict[str, Any]:
        response = httpx.post(self.url, json=self.body, headers=self.headers, timeout=self.timeout_s)
        response.raise_for_status()
        self._applied = True
        return {"node": self.node, "faults": self.body}

    def clear(self) -> None:
        if self._applied:
            undo = FaultSettings().model_dump(include=set(self.body))
            httpx.post(self.url, json=undo, headers=self.headers, timeout=self.timeout_s).raise_for_status()
            self._applied = False
