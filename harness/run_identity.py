"""Who a run is: a short id that names everything it creates, and the harness process behind it.

The id is random (not derived from the scenario name), so container and proxy names stay short and never
collide, whatever the scenario is called. The harness's pid *and* start time tell whether the run is still
alive: a pid alone may have been reused by an unrelated process since the run was killed.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from typing import Any

import psutil

_START_TIME_SLACK_S = 1.0
"""psutil reads the start time from /proc in clock ticks; the same process reads back within this."""


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    pid: int
    pid_started_at: float
    host: str

    @classmethod
    def new(cls) -> RunIdentity:
        pid = os.getpid()
        return cls(secrets.token_hex(4), pid, psutil.Process(pid).create_time(), socket.gethostname())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunIdentity:
        return cls(str(data["run_id"]), int(data["pid"]), float(data["pid_started_at"]), str(data["host"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def harness_alive(self) -> bool:
        """True while the harness process that started the run still runs (on this host)."""
        if self.host != socket.gethostname():
            return True  # cannot tell from here: never treat another machine's run as dead
        return harness_alive(self.pid, self.pid_started_at)


PROCESS_MARKER = "CHAOSDRILL_RUN"
"""In the environment of every process a run starts for the user's stack, and so of everything those start
(workers that outlive a SIGKILLed harness): `cleanup` finds a dead run's processes by it."""


def process_marker(identity: RunIdentity) -> dict[str, str]:
    """The environment entry that marks a process as the run's."""
    return {PROCESS_MARKER: json.dumps(identity.to_dict(), separators=(",", ":"))}


def marked_identity(environment: dict[str, str]) -> RunIdentity | None:
    """The run a process belongs to, from its environment; None for a process no run started."""
    try:
        return RunIdentity.from_dict(json.loads(environment[PROCESS_MARKER]))
    except (KeyError, ValueError, TypeError):
        return None


PROXY_PREFIX = "chaosdrill-"


def proxy_name(run_id: str, node: str) -> str:
    """Proxies on a shared Toxiproxy server carry the run id, so `cleanup` knows whose they are."""
    return f"{PROXY_PREFIX}{run_id}-{node}"


def proxy_run_id(name: str) -> str | None:
    """The run id in a proxy name `proxy_name` made; None for proxies that are not chaosdrill's."""
    run_id, sep, _node = name.removeprefix(PROXY_PREFIX).partition("-")
    return run_id if name.startswith(PROXY_PREFIX) and sep and run_id else None


def harness_alive(pid: int, started_at: float) -> bool:
    try:
        return abs(psutil.Process(pid).create_time() - started_at) < _START_TIME_SLACK_S
    except psutil.AccessDenied:
        return True  # someone else's process holds the pid; only its owner could tell, so keep it
    except (psutil.NoSuchProcess, ValueError):
        return False
