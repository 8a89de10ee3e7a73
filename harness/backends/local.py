"""The embedded default backend: the reference stack as local processes on 127.0.0.1.

Start order follows the data path backwards (proxy, replicas, links, gateway) so the gateway's first health
checks already find its replicas; teardown goes the other way and always runs to the end.

Node faults with a natural local-process equivalent are offered: pause is SIGSTOP/SIGCONT of the model
server's process group (it runs in its own session), a restart is SIGKILL then start on the same port, a
partition disables the node's link at the fault proxy, the only path between the gateway and the node.
CPU/memory squeezes, graceful stops and OOM kills need a container runtime (`ContainerControl`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from toxiproxy import Toxiproxy
from toxiproxy.proxy import Proxy

from harness.backend_offers import LOCAL
from harness.backends.processes import ManagedProcess, free_port, requested_port
from harness.backends.readiness import wait_until_ready
from harness.backends.reference_stack import (
    GATEWAY_TOKEN_ENV,
    MODEL_SERVER_TOKEN_ENV,
    NodeSpec,
    gateway_config,
    reference_nodes,
)
from harness.errors import HarnessError
from harness.run_identity import RunIdentity, proxy_name
from harness.scenario.model import Scenario

HOST = "127.0.0.1"


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
        self.proxies: dict[str, Proxy] = {}
        self.toxiproxy_url = scenario.toxiproxy.url
        self.gateway_url = ""

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        deadline = time.monotonic() + self.stack.startup_timeout
        gateway_port = requested_port(self.stack.port) or free_port()
        self._start_toxiproxy(deadline)
        for node in self.nodes.values():
            node.port = free_port()
            self._spawn_node(node)
        for node in self.nodes.values():
            self._wait_ready(node.name, f"http://{HOST}:{node.port}/readyz", deadline)
            self._create_link(node)
        config_path = self.run_dir / "gateway.json"
        config_path.write_text(json.dumps(gateway_config(self.stack, list(self.nodes.values()))))
        self._spawn(
            "gateway",
            [sys.executable, "-m", "stack.gateway", "--host", HOST, "--port", str(gateway_port),
             "--config", str(config_path)],
            {GATEWAY_TOKEN_ENV: self.admin_token},
        )  # fmt: skip
        self.gateway_url = f"http://{HOST}:{gateway_port}"
        self._wait_ready("gateway", f"{self.gateway_url}/readyz", deadline)

    def stop(self) -> None:
        """Remove every link and stop every process; never raises, so it can run on any exit path."""
        for proxy in list(self.proxies.values()):
            with contextlib.suppress(Exception):  # a dead proxy server must not stop the teardown
                proxy.destroy()
        self.proxies.clear()
        for name in [
            "gateway",
            *[n for n in self.processes if n not in ("gateway", "toxiproxy")],
            "toxiproxy",
        ]:
            process = self.processes.get(name)
            if process is not None:
                process.stop(grace_s=3.0)

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items() if p.pid is not None}

    # --- capabilities: what fault kinds use -----------------------------------------------------------

    def link_proxy(self, node: str) -> Proxy:
        return self.proxies[node]

    def node_admin_url(self, node: str) -> str:
        return f"http://{HOST}:{self.nodes[node].port}"

    def kill_node(self, node: str) -> dict[str, Any]:
        process = self.processes[node]
        pid = process.pid
        process.kill()
        return {"node": node, "pid": pid, "signal": "SIGKILL"}

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
        proxy = self.link_proxy(node)
        proxy.disable()
        return {"node": node, "link": proxy.name, "enabled": False}

    def reconnect_node(self, node: str) -> None:
        self.link_proxy(node).enable()

    # --- internals -------------------------------------------------------------------------------------

    def _start_toxiproxy(self, deadline: float) -> None:
        if self.toxiproxy_url is None:
            port = free_port()
            self._spawn(
                "toxiproxy", [sys.executable, "-m", "faults.toxiproxy", "--host", HOST, "--port", str(port)]
            )
            self.toxiproxy_url = f"http://{HOST}:{port}"
            self._wait_ready("toxiproxy", f"{self.toxiproxy_url}/version", deadline)
        url = urlparse(self.toxiproxy_url)
        Toxiproxy().update_api_consumer(url.hostname, url.port)
        try:
            httpx.get(f"{self.toxiproxy_url}/version", timeout=2.0).raise_for_status()
        except httpx.HTTPError as exc:
            raise HarnessError(
                f"toxiproxy.url: no Toxiproxy API answers at {self.toxiproxy_url}: {exc}"
            ) from None

    def _create_link(self, node: NodeSpec) -> None:
        name = proxy_name(self.run_id, node.name)
        proxy = Toxiproxy().create(upstream=f"{HOST}:{node.port}", name=name, listen=f"{HOST}:0")
        self.proxies[node.name] = proxy
        node.link_url = f"http://{proxy.listen}"

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
        process = self.processes.get(name)

        def fail_fast() -> None:
            if process is not None and not process.alive:
                raise process.exited_error("during start-up")

        wait_until_ready(
            name, url, deadline, self.stack.startup_timeout, fail_fast=fail_fast,
            log_tail=lambda: process.log_tail() if process else "", interval_s=0.05,
        )  # fmt: skip
