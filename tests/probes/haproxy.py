"""A real HAProxy (Debian's, from scripts/install-test-deps.sh) for the probe and action tests: its
Prometheus exporter at /metrics, a fixed JSON answer at /state, a 503 at /down, and its runtime API on a
UNIX socket, through which an action changes a server's weight as a user's deploy script would."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.backends.processes import ManagedProcess, free_port
from harness.backends.readiness import wait_until_ready

CONFIG = """\
global
    stats socket {socket} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{port}
    http-request use-service prometheus-exporter if {{ path /metrics }}
    http-request return status 200 content-type application/json file {state} if {{ path /state }}
    http-request return status 503 content-type text/plain string "down" if {{ path /down }}
    http-request return status 200 content-type text/plain string "not json" if {{ path /text }}
    default_backend be
backend be
    server stable 127.0.0.1:9 weight 80
    server canary 127.0.0.1:9 weight 20
"""

SET_WEIGHT = [sys.executable, "-c", (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.connect(sys.argv[1])\n"
    "s.sendall(f'set weight be/{sys.argv[2]} {sys.argv[3]}\\n'.encode())\n"
    "answer = s.recv(4096).decode().strip()\n"
    "print(answer or 'done')\n"
    "sys.exit(1 if answer else 0)\n"
)]  # fmt: skip
"""`SET_WEIGHT + [socket, server, weight]`: HAProxy's runtime API, without socat."""


@dataclass(frozen=True)
class Haproxy:
    url: str
    admin_socket: Path

    def weight(self, server: str) -> str:
        """The server's weight as the runtime API reports it ("20 (initial 20)")."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.admin_socket))
            admin.sendall(f"get weight be/{server}\n".encode())
            return admin.recv(4096).decode().strip()


@contextmanager
def running_haproxy(work: Path) -> Iterator[Haproxy]:
    port = free_port()
    admin_socket = work / "haproxy.sock"
    config = work / "haproxy.cfg"
    state = work / "state.json"
    state.write_text('{"canary": {"version": "v2", "weight": 20}, "pods": [1, 2]}')
    config.write_text(CONFIG.format(socket=admin_socket, port=port, state=state))
    process = ManagedProcess("haproxy", ["haproxy", "-f", str(config), "-db"], work / "haproxy.log")
    process.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready("haproxy", f"{url}/state", time.monotonic() + 10, 10, fail_fast=process.check_alive,
                         log_tail=process.log_tail)  # fmt: skip
        yield Haproxy(url, admin_socket)
    finally:
        process.stop()
