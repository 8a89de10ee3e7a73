"""The reference stack in Docker containers on one private bridge network per run.

Same topology and interface as the local backend: replicas, a proxy container with one listener per
replica, and a gateway whose replica URLs point at those listeners. Only the gateway port and the proxy's
API (and each replica's port, for admin faults) are published, on 127.0.0.1 only. Everything carries the
run's labels, so teardown and `chaosdrill cleanup` find it by label even after the harness died.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import tarfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound
from docker.models.containers import Container
from docker.models.networks import Network
from toxiproxy import Toxiproxy
from toxiproxy.proxy import Proxy

from harness.backend_offers import DOCKER
from harness.backends.docker_cleanup import remove_labelled
from harness.backends.docker_client import docker_client, log_tail, run_labels
from harness.backends.docker_images import require_stack_image
from harness.backends.docker_node_faults import DockerNodeFaults
from harness.backends.processes import free_port, requested_port
from harness.backends.readiness import wait_until_ready
from harness.backends.reference_stack import NodeSpec, gateway_config, reference_nodes
from harness.errors import HarnessError, InputError
from harness.run_identity import RunIdentity
from harness.scenario.model import Scenario

HOST = "127.0.0.1"
MODEL_PORT = 8000
GATEWAY_PORT = 8080
TOXIPROXY_PORT = 8474
LINK_PORT_BASE = 9000
"""Listener ports inside the proxy container, one per replica."""
CONFIG_DIR = "/etc/chaosdrill"
TOKEN_FILE = f"{CONFIG_DIR}/admin-token"
_LOG_LINES = 5


class DockerBackend(DockerNodeFaults):
    name = DOCKER.name
    capabilities = DOCKER.capabilities

    def __init__(self, scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None):
        super().__init__()
        self.scenario = scenario
        self.stack = scenario.stack
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        self.admin_token = secrets.token_hex(16)
        self.nodes = {n.name: n for n in reference_nodes(self.stack)}
        identity = identity or RunIdentity.new()
        self.run_id = identity.run_id
        """Lower-case hex: survives compose's project-name rules and keeps container names short."""
        self.labels = run_labels(identity)
        self.proxies: dict[str, Proxy] = {}
        self.gateway_url = ""
        self.toxiproxy_url = ""
        self._client: docker.DockerClient | None = None
        self._network: Network | None = None
        self._image = ""
        self._node_host_ports: dict[str, int] = {}

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.scenario.toxiproxy.url is not None:
            raise InputError("toxiproxy.url: an external Toxiproxy cannot reach the docker backend's network")
        deadline = time.monotonic() + self.stack.startup_timeout
        self._client = docker_client()
        self._image = require_stack_image(self._client)
        gateway_port = requested_port(self.stack.port)
        self._network = self._client.networks.create(
            self.container_name("net"), driver="bridge", labels=self.labels
        )
        self._start_toxiproxy(deadline)
        for node in self.nodes.values():
            node.port = MODEL_PORT
            self._run_node(node.name)
        for index, node in enumerate(self.nodes.values()):
            self._wait_ready(node.name, f"{self.node_admin_url(node.name)}/readyz", deadline)
            self._create_link(node, LINK_PORT_BASE + index)
        self._start_gateway(gateway_port, deadline)

    def stop(self) -> None:
        """Keep the logs, then remove everything labelled with this run; never raises (any exit path)."""
        self.proxies.clear()
        if self._client is None:
            return
        with contextlib.suppress(DockerException, OSError):
            for container in self._client.containers.list(all=True, filters={"label": self._run_label()}):
                self._save_log(container)
        with contextlib.suppress(DockerException):
            remove_labelled(self._client, self.run_id)

    def pids(self) -> dict[str, str]:
        """Container ids by role: what identifies the stack's parts in the run log."""
        if self._client is None:
            return {}
        containers = self._client.containers.list(all=True, filters={"label": self._run_label()})
        return {c.labels.get("chaosdrill.role", c.name): c.short_id for c in containers}

    # --- capabilities: what fault kinds use (container faults: `DockerNodeFaults`) ----------------------

    def link_proxy(self, node: str) -> Proxy:
        return self.proxies[node]

    def node_admin_url(self, node: str) -> str:
        return f"http://{HOST}:{self._node_host_ports[node]}"

    def kill_node(self, node: str) -> dict[str, Any]:
        """SIGKILL, then remove: the node is gone the way a lost GPU host is, logs kept for the report."""
        container = self.container(node)
        container.kill("SIGKILL")
        self._save_log(container)
        container.remove(force=True)
        return {"node": node, "container": container.short_id, "signal": "SIGKILL"}

    def start_node(self, node: str) -> dict[str, Any]:
        """Start the node's stopped container, or a new one under the same name and admin port (a
        rescheduled pod keeps its service address); does not wait for readiness, as a real restart doesn't."""
        try:
            container = self.container(node)
        except NotFound:
            container = self._run_node(node)
        else:
            container.start()
        return {"node": node, "container": container.short_id}

    def start_model_server(self, node: str, settings: Mapping[str, object]) -> dict[str, Any]:
        """A new container for the node, whatever container it had removed, its model server started with
        `settings`; same name and admin port, no wait for readiness (like `start_node`)."""
        with contextlib.suppress(NotFound):
            self.container(node).remove(force=True)
        container = self._run_node(node, settings)
        return {"node": node, "container": container.short_id, "settings": dict(settings)}

    def container(self, node: str) -> Container:
        return self.client.containers.get(self.container_name(node))

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise HarnessError("the docker backend has not been started")
        return self._client

    @property
    def network(self) -> Network:
        if self._network is None:
            raise HarnessError("the docker backend has not been started")
        return self._network

    def container_name(self, role: str) -> str:
        return f"chaosdrill-{self.run_id}-{role}"

    # --- internals -------------------------------------------------------------------------------------

    def _run_label(self) -> str:
        return f"chaosdrill.run_id={self.run_id}"

    def _start_toxiproxy(self, deadline: float) -> None:
        # Inside the container the API and the proxies must be reachable on the run's docker network.
        command = ["python", "-m", "faults.toxiproxy", "--host", "0.0.0.0", "--port", str(TOXIPROXY_PORT),
                   "--allow-remote"]  # fmt: skip
        container = self._create("toxiproxy", command, {TOXIPROXY_PORT: None})
        container.start()
        port = self._published_port(container, TOXIPROXY_PORT)
        self.toxiproxy_url = f"http://{HOST}:{port}"
        self._wait_ready("toxiproxy", f"{self.toxiproxy_url}/version", deadline)
        Toxiproxy().update_api_consumer(HOST, port)

    def _run_node(self, node: str, settings: Mapping[str, object] | None = None) -> Container:
        argv = [*self.nodes[node].model_server_argv("0.0.0.0", settings), "--admin-token-file", TOKEN_FILE]
        # A fixed host port: the engine would pick a new ephemeral one on every restart of the container.
        host_port = self._node_host_ports.setdefault(node, free_port())
        container = self._create(node, ["python", *argv[1:]], {MODEL_PORT: host_port})
        self._put_token(container)
        container.start()
        return container

    def _create_link(self, node: NodeSpec, listen_port: int) -> None:
        proxy = Toxiproxy().create(
            upstream=f"{self.container_name(node.name)}:{MODEL_PORT}",
            name=f"chaosdrill-{node.name}",
            listen=f"0.0.0.0:{listen_port}",
        )
        self.proxies[node.name] = proxy
        node.link_url = f"http://{self.container_name('toxiproxy')}:{listen_port}"

    def _start_gateway(self, host_port: int | None, deadline: float) -> None:
        config = json.dumps(gateway_config(self.stack, list(self.nodes.values())))
        (self.run_dir / "gateway.json").write_text(config)
        command = ["python", "-m", "stack.gateway", "--host", "0.0.0.0", "--port", str(GATEWAY_PORT),
                   "--config", f"{CONFIG_DIR}/gateway.json", "--admin-token-file", TOKEN_FILE]  # fmt: skip
        container = self._create("gateway", command, {GATEWAY_PORT: host_port})
        container.put_archive("/", _single_file_tar(f"{CONFIG_DIR}/gateway.json", config, 0o644))
        self._put_token(container)
        self._start_published(container, host_port)
        self.gateway_url = f"http://{HOST}:{self._published_port(container, GATEWAY_PORT)}"
        self._wait_ready("gateway", f"{self.gateway_url}/readyz", deadline)

    def _create(self, role: str, command: list[str], ports: dict[int, int | None]) -> Container:
        """A container on the run's network, reachable there by its name; `ports` (container → host port,
        None for any free one) are published on 127.0.0.1 only."""
        return self.client.containers.create(
            self._image,
            command,
            name=self.container_name(role),
            hostname=role,
            labels={**self.labels, "chaosdrill.role": role},
            network=self.network.name,
            ports={f"{inner}/tcp": (HOST, outer) for inner, outer in ports.items()},
        )

    def _put_token(self, container: Container) -> None:
        """The admin token as a file only the container's (root) processes can read: not in its command,
        its environment or anything else `docker inspect` shows, and not on the host's disk."""
        container.put_archive("/", _single_file_tar(TOKEN_FILE, self.admin_token, 0o400))

    def _start_published(self, container: Container, host_port: int | None) -> None:
        try:
            container.start()
        except APIError as exc:
            busy = "already allocated" in str(exc) or "address already in use" in str(exc)
            if host_port is not None and busy:
                raise InputError(f"stack.port: {HOST}:{host_port} is already in use") from None
            raise

    def _published_port(self, container: Container, inner: int) -> int:
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{inner}/tcp") or []
        if not bindings:
            raise self._exited_error(container, "before publishing its port")
        return int(bindings[0]["HostPort"])

    def _wait_ready(self, role: str, url: str, deadline: float) -> None:
        container = self.client.containers.get(self.container_name(role))

        def fail_fast() -> None:
            container.reload()
            if container.status in ("exited", "dead"):
                raise self._exited_error(container, "during start-up")

        wait_until_ready(
            role, url, deadline, self.stack.startup_timeout, fail_fast=fail_fast,
            log_tail=lambda: log_tail(container, _LOG_LINES),
        )  # fmt: skip

    def _exited_error(self, container: Container, what: str) -> HarnessError:
        code = container.attrs["State"].get("ExitCode")
        return HarnessError(f"container {container.name} exited with code {code} {what}; "
                            f"last log lines: {log_tail(container, _LOG_LINES)}")  # fmt: skip

    def _save_log(self, container: Container) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        role = container.labels.get("chaosdrill.role", container.name)
        with (self.logs / f"{role}.log").open("ab") as log:
            log.write(container.logs())


def _single_file_tar(path: str, text: str, mode: int) -> bytes:
    """A tar of one file at the absolute `path`, for `put_archive("/", ...)`."""
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size = len(data)
        info.mode = mode
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
