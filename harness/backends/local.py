"""The embedded default backend: the reference stack as local processes on 127.0.0.1.

Start order follows the data path backwards (proxy, replicas, links, gateway) so the gateway's first health
checks already find its replicas; teardown goes the other way and always runs to the end.

Node faults with a natural local-process equivalent are offered: pause is SIGSTOP/SIGCONT of the model
server's process group (it runs in its own session), a restart is SIGKILL then start on the same port, a
partition disables the node's link at the fault proxy, the only path between the gateway and the node.
CPU/memory squeezes, graceful stops and OOM kills need a container runtime (`ContainerControl`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toxiproxy.proxy import Proxy

from harness.backend_offers import LOCAL
from harness.backends.links import HOST, Links
from harness.backends.processes import ManagedProcess, free_port, requested_port
from harness.backends.readiness import wait_until_ready
from harness.backends.reference_stack import (
    GATEWAY_TOKEN_ENV,
    MODEL_SERVER_TOKEN_ENV,
    NodeSpec,
    gateway_config,
    reference_nodes,
)
from harness.run_identity import RunIdentity
from harness.scenario.model import Scenario


class LocalBackend:
    name = LOCAL.name
    capabilities = LOCAL.capabilities

    def __init__(self, scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None):
        self.scenario = scenario
        self.stack = scenario.stack
        self.logs = run_dir / "logs"
        self.run_dir = run_dir
        self.admin_token = secrets.token_hex(16)
        self.run_id = (identity or RunIdentity.new()).run_id
        self.nodes = {n.name: n for n in reference_nodes(self.stack)}
        self.processes: dict[str, ManagedProcess] = {}
        self.links = Links(self.run_id, scenario.toxiproxy.url, self.logs)
        self.gateway_url = ""

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        deadline = time.monotonic() + self.stack.startup_timeout
        requested = requested_port(self.stack.port)
        self.links.start(deadline, self.stack.startup_timeout)
        for node in self.nodes.values():
            node.port = free_port()
            self._spawn_node(node)
        for node in self.nodes.values():
            self._wait_ready(node.name, f"http://{HOST}:{node.port}/readyz", deadline)
            node.link_url = f"http://{self.links.create(node.name, f'{HOST}:{node.port}')}"
        config_path = self.run_dir / "gateway.json"
        config_path.write_text(json.dumps(gateway_config(self.stack, list(self.nodes.values()))))
        # A free port is only free until something binds it: taken before the links, it was once handed
        # to a link's listener, and the gateway's readiness check was answered through that link by a
        # replica. Taken now, nothing of this stack binds before the gateway does.
        gateway_port = requested or free_port()
        self._spawn(
            "gateway",
            [sys.executable, "-m", "stack.gateway", "--host", HOST, "--port", str(gateway_port),
             "--config", str(config_path)],
            {GATEWAY_TOKEN_ENV: self.admin_token},
        )  # fmt: skip
        self.gateway_url = f"http://{HOST}:{gateway_port}"
        self._wait_ready("gateway", f"{self.gateway_url}/readyz", deadline)

    def stop(self) -> None:
        """Stop every process, then remove every link; never raises, so it can run on any exit path."""
        for name in ["gateway", *[n for n in self.processes if n != "gateway"]]:
            process = self.processes.get(name)
            if process is not None:
                process.stop(grace_s=3.0)
        self.links.close()

    def pids(self) -> dict[str, int]:
        pids = {name: p.pid for name, p in self.processes.items() if p.pid is not None}
        return {**self.links.pids(), **pids}

    # --- capabilities: what fault kinds use -----------------------------------------------------------

    def link_proxy(self, node: str) -> Proxy:
        return self.links.proxy(node)

    def node_admin_url(self, node: str) -> str:
        return f"http://{HOST}:{self.nodes[node].port}"

    def kill_node(self, node: str) -> dict[str, Any]:
        return self.processes[node].kill_node(node)

    def start_node(self, node: str) -> dict[str, Any]:
        """Restart on the same port, as a rescheduled pod keeps its service address."""
        return self.start_model_server(node, {})

    def start_model_server(self, node: str, settings: Mapping[str, object]) -> dict[str, Any]:
        self._spawn_node(self.nodes[node], settings)
        started = {"node": node, "pid": self.processes[node].pid}
        return {**started, "settings": dict(settings)} if settings else started

    def restart_node(self, node: str) -> dict[str, Any]:
        killed = self.kill_node(node)
        started = self.start_node(node)
        return {"node": node, "killed_pid": killed["pid"], "pid": started["pid"]}

    def pause_node(self, node: str) -> dict[str, Any]:
        pid = self._pid(node)
        os.killpg(pid, signal.SIGSTOP)
        return {"node": node, "pid": pid, "signal": "SIGSTOP"}

    def unpause_node(self, node: str) -> None:
        process = self.processes[node]
        if process.alive and process.pid is not None:
            os.killpg(process.pid, signal.SIGCONT)

    def disconnect_node(self, node: str) -> dict[str, Any]:
        return self.links.disconnect(node)

    def reconnect_node(self, node: str) -> None:
        self.links.reconnect(node)

    # --- internals -------------------------------------------------------------------------------------

    def _spawn_node(self, node: NodeSpec, settings: Mapping[str, object] | None = None) -> None:
        argv = node.model_server_argv(settings=settings)
        self._spawn(node.name, argv, {MODEL_SERVER_TOKEN_ENV: self.admin_token})

    def _pid(self, node: str) -> int:
        pid = self.processes[node].pid
        if pid is None:
            raise KeyError(f"{node} has no running process")
        return pid

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        process = ManagedProcess(name, argv, self.logs / f"{name}.log", env)
        process.start()
        self.processes[name] = process

    def _wait_ready(self, name: str, url: str, deadline: float) -> None:
        process = self.processes[name]
        wait_until_ready(
            name, url, deadline, self.stack.startup_timeout, fail_fast=process.check_alive,
            log_tail=process.log_tail, interval_s=0.05,
        )  # fmt: skip
