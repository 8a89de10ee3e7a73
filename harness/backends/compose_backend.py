"""A user's own stack from their compose file: built, started, broken at the container level, torn down.

The harness knows only what the scenario says (which service is the entrypoint, on which port, answering
which readiness path, which links it declares) and what compose reports; nodes are the file's services.
So it offers container faults, plus network faults on the nodes behind a declared link
(`harness.backends.compose_links`); load-side faults need nothing of a stack and apply too.
Nothing is ever pulled: `build:` sections are built locally first (`harness.backends.compose_builds`, with
their own `stack.compose.build_timeout`, so a first build never eats the start-up time), and every other
image must already be in the local engine.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import docker
import yaml
from docker.errors import DockerException, NotFound
from docker.models.containers import Container
from toxiproxy.proxy import Proxy

from harness.backend_offers import COMPOSE, backend_offer
from harness.backends.compose_builds import ServiceBuild, build_services, require_base_images, service_builds
from harness.backends.compose_cli import ComposeProject, compose_command
from harness.backends.compose_links import PROXY_SERVICE, link_addresses, listen_address, proxy_service
from harness.backends.compose_override import HOST, compose_override
from harness.backends.docker_backend import TOXIPROXY_PORT
from harness.backends.docker_cleanup import remove_labelled
from harness.backends.docker_client import RUN_LABEL, docker_client, log_tail, run_labels
from harness.backends.docker_images import image_exists, require_stack_image
from harness.backends.docker_node_faults import DockerNodeFaults
from harness.backends.links import Links
from harness.backends.processes import requested_port
from harness.backends.readiness import wait_until_ready
from harness.backends.variables import run_variables
from harness.errors import HarnessError, InputError
from harness.run_identity import RunIdentity
from harness.scenario.model import ComposeSpec, Scenario
from harness.scenario.safety import check_compose_exposure, remote_kind, require_local, warn

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
_CONFIG_TIMEOUT_S = 60.0
_DOWN_TIMEOUT_S = 120.0
_STOP_GRACE_S = "2"
_LOG_LINES = 5


class ComposeBackend(DockerNodeFaults):
    name = COMPOSE.name
    capabilities = COMPOSE.capabilities

    def __init__(self, scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None):
        super().__init__()
        if scenario.stack.compose is None:
            raise HarnessError("the compose backend needs stack.compose")
        self.compose: ComposeSpec = scenario.stack.compose
        self.stack = scenario.stack
        self.capabilities = backend_offer(scenario.stack).capabilities  # network links where declared
        self.allow_remote = scenario.safety.allow_remote
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        identity = identity or RunIdentity.new()
        self.run_id = identity.run_id
        """Lower-case hex: survives compose's project-name rules and keeps container names short."""
        self.labels = run_labels(identity)
        self.project_name = f"chaosdrill-{self.run_id}"
        self.gateway_url = ""
        self.variables: dict[str, str] = {}
        """The run's CHAOSDRILL_* variables (each link's address inside the project's network, the run dir),
        set by `build`; every compose invocation has them in its environment."""
        self._client: docker.DockerClient | None = None
        self._project: ComposeProject | None = None
        self._links: Links | None = None

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.build()
        deadline = time.monotonic() + self.stack.startup_timeout
        if self.compose.links:
            self._start_links(deadline)
        self._up(deadline)
        self.gateway_url = self._load_target()
        self._wait_ready(deadline)

    def build(self) -> None:
        """What comes before the stack starts, and not out of its start-up time: the file resolved and
        checked, the override written and the `build:` sections built (`stack.compose.build_timeout`)."""
        self._client = docker_client()
        self.variables = run_variables(self.run_dir, link_addresses(self.compose.links), {})
        user_file = self.compose.file.resolve()
        command = compose_command()
        user = ComposeProject(command, self.project_name, [user_file], user_file.parent, self.variables)
        config = yaml.safe_load(user.run("config", timeout_s=_CONFIG_TIMEOUT_S))
        self._check_exposure(config)
        builds = service_builds(config)
        self._require_images(config, builds)
        override = self._write_override(config, builds)
        files = [user_file, override]
        self._project = ComposeProject(command, user.name, files, user.directory, self.variables)
        build_services(self._project, builds, self.logs / "build.log", self.compose.build_timeout)

    def stop(self) -> None:
        """Keep each service's log, `compose down`, then remove whatever still carries the run's label;
        never raises (it runs on every exit path)."""
        if self._client is None:
            return
        if self._links is not None:
            self._links.close()
        with contextlib.suppress(DockerException, OSError):
            for container in self._containers():
                self._save_log(container)
        if self._project is not None:
            with contextlib.suppress(HarnessError):
                down = ("down", "-v", "--remove-orphans", "-t", _STOP_GRACE_S)
                self._project.run(*down, timeout_s=_DOWN_TIMEOUT_S)
        with contextlib.suppress(DockerException):
            remove_labelled(self._client, self.run_id)

    def pids(self) -> dict[str, str]:
        """Container ids by service (`service_N` for further replicas of one service)."""
        if self._client is None:
            return {}
        return {_replica_name(c): c.short_id for c in self._containers()}

    # --- capabilities: what fault kinds use (container faults: `DockerNodeFaults`) ----------------------

    def link_proxy(self, node: str) -> Proxy:
        """The node's link (declared in stack.compose.links), for network toxics and link outages."""
        if self._links is None:
            raise HarnessError("the compose backend has not started its links")
        return self._links.proxy(node)

    def kill_node(self, node: str) -> dict[str, Any]:
        """SIGKILL the service's container and leave it exited, as a host that lost power leaves it; what
        happens next (a restart policy, say) is the user's stack's business."""
        container = self.container(node)
        container.kill("SIGKILL")
        return {"node": node, "container": container.short_id, "signal": "SIGKILL"}

    def start_node(self, node: str) -> dict[str, Any]:
        """Start the service's container again, or have compose recreate it if it was removed."""
        try:
            container = self.container(node)
        except NotFound:
            recreate = ("up", "-d", "--no-build", "--no-deps", node)
            self.project.run(*recreate, timeout_s=self.stack.startup_timeout)
            container = self.container(node)
        else:
            container.start()
        return {"node": node, "container": container.short_id}

    def container(self, node: str) -> Container:
        """The service's first container (compose numbers replicas from 1)."""
        containers = self._containers(f"{SERVICE_LABEL}={node}")
        if not containers:
            raise NotFound(f"service {node} of {self.project_name} has no container")
        return min(containers, key=lambda c: int(c.labels.get(NUMBER_LABEL, "1")))

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise HarnessError("the compose backend has not been started")
        return self._client

    @property
    def project(self) -> ComposeProject:
        if self._project is None:
            raise HarnessError("the compose backend has not been started")
        return self._project

    # --- internals -------------------------------------------------------------------------------------

    def _containers(self, *labels: str) -> list[Container]:
        """The project's service containers (not `compose run` one-offs), optionally narrowed by label."""
        selector = [f"{PROJECT_LABEL}={self.project_name}", f"{RUN_LABEL}={self.run_id}", *labels]
        found = self.client.containers.list(all=True, filters={"label": selector})
        return [c for c in found if c.labels.get("com.docker.compose.oneoff") != "True"]

    def _require_images(self, config: dict[str, Any], builds: list[ServiceBuild]) -> None:
        """Every image `up` runs must be local or built here, and so must every image a build starts from:
        a missing one would otherwise be pulled."""
        built = {b.image for b in builds}
        for service, spec in config["services"].items():
            image = (spec or {}).get("image")
            where = f"{self.compose.file}: service {service}"
            if not image and service not in {b.service for b in builds}:
                raise InputError(f"{where} names no image and has no build section")
            if image and image not in built and not image_exists(self.client, image):
                raise InputError(
                    f"{where} uses image {image}, not in the local Docker Engine (never pulled: "
                    "build or load it, or give the service a build section)"
                )
        require_base_images(self.client, builds, self.compose.file)

    def _write_override(self, config: dict[str, Any], builds: list[ServiceBuild]) -> Path:
        """The run's layer over the user's file (`compose_override`), kept in the run dir for the record."""
        chosen = {b.service: b.image for b in builds if b.chosen}
        extra = {}
        if self.compose.links:
            try:
                image = require_stack_image(self.client)  # the proxy runs in the reference stack's image
            except HarnessError as exc:
                raise HarnessError(f"stack.compose.links need chaosdrill's proxy: {exc}") from None
            extra[PROXY_SERVICE] = proxy_service(image, self.labels, config)
        layer = compose_override(
            config, self.compose.entrypoint, self.labels, requested_port(self.stack.port),
            images=chosen, extra_services=extra,
        )  # fmt: skip
        override = self.run_dir / "compose.override.yaml"
        override.parent.mkdir(parents=True, exist_ok=True)
        override.write_text(yaml.safe_dump(layer, sort_keys=False))
        return override

    def _start_links(self, deadline: float) -> None:
        """The proxy service first, its links made, and only then the user's services: their load balancer
        finds every link listening from its first health check."""
        self._up(deadline, "--no-deps", PROXY_SERVICE)
        api = self._published_url(PROXY_SERVICE, TOXIPROXY_PORT)

        def fail_fast() -> None:
            container = self.container(PROXY_SERVICE)
            if _failed(container, entrypoint=True):
                raise _exited_error(container, "during start-up")

        wait_until_ready(
            PROXY_SERVICE, f"{api}/version", deadline, self.stack.startup_timeout, fail_fast=fail_fast,
            log_tail=lambda: log_tail(self.container(PROXY_SERVICE), _LOG_LINES), interval_s=0.1,
        )  # fmt: skip
        self._links = Links(self.run_id, api, self.logs)
        self._links.start(deadline, self.stack.startup_timeout)
        for node, address in link_addresses(self.compose.links).items():
            self._links.create(node, self.compose.links[node], listen=listen_address(address))

    def _up(self, deadline: float, *args: str) -> None:
        """`compose up` of what was built or is local (never pulling), in the start-up time left."""
        left = max(1.0, deadline - time.monotonic())
        self.project.run("up", "-d", "--no-build", *args, timeout_s=left, setting="stack.startup_timeout")

    def _check_exposure(self, config: dict[str, Any]) -> None:
        """The file as compose resolved it (variables, `extends`): validation saw it as written and has
        already warned about what the opt-in allows, so only refusals are left to report here."""
        try:
            check_compose_exposure(config["services"], self.compose.file, self.allow_remote)
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def _load_target(self) -> str:
        return self._published_url(self.compose.entrypoint.service, self.compose.entrypoint.port)

    def _published_url(self, service: str, port: int) -> str:
        container = self.container(service)
        bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{port}/tcp") or []
        if not bindings:
            raise _exited_error(container, "before publishing its port")
        return load_target(bindings, self.allow_remote)

    def _wait_ready(self, deadline: float) -> None:
        entrypoint = self.compose.entrypoint.service

        def fail_fast() -> None:
            for container in self._containers():
                if _failed(container, entrypoint=_service(container) == entrypoint):
                    raise _exited_error(container, "during start-up")

        wait_until_ready(
            f"service {entrypoint}", f"{self.gateway_url}{self.compose.entrypoint.ready_path}", deadline,
            self.stack.startup_timeout, fail_fast=fail_fast,
            log_tail=lambda: log_tail(self.container(entrypoint), _LOG_LINES), ok_below=400, interval_s=0.2,
            setting="stack.compose.entrypoint.ready_path",
        )  # fmt: skip

    def _save_log(self, container: Container) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{_service(container)}.log").open("ab") as log:
            log.write(container.logs())


def load_target(bindings: list[dict[str, str]], allow_remote: bool) -> str:
    """The URL the load goes to, from the engine's bindings of the entrypoint port: a loopback one (the
    override publishes one; a binding on every interface is reached on loopback too); without one, only
    the opt-in lets the load go to another address."""
    hosts = [HOST if b["HostIp"] in ("", "0.0.0.0", "::") else b["HostIp"] for b in bindings]
    kinds = [remote_kind(host) for host in hosts]
    index = kinds.index(None) if None in kinds else 0
    what = f"load target {hosts[index]} (the entrypoint's published address) is"
    try:
        warn(require_local("stack.compose.entrypoint", what, kinds[index], allow_remote))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    host = f"[{hosts[index]}]" if ":" in hosts[index] else hosts[index]
    return f"http://{host}:{bindings[index]['HostPort']}"


def _service(container: Container) -> str:
    return container.labels.get(SERVICE_LABEL, container.name)


def _replica_name(container: Container) -> str:
    number = container.labels.get(NUMBER_LABEL, "1")
    return _service(container) if number == "1" else f"{_service(container)}_{number}"


def _failed(container: Container, *, entrypoint: bool) -> bool:
    """A crashed service, or an entrypoint that exited at all; a one-shot job that exited 0 is fine."""
    state = container.attrs["State"]
    if container.status not in ("exited", "dead", "restarting"):
        return False
    return entrypoint or state.get("ExitCode") != 0


def _exited_error(container: Container, what: str) -> HarnessError:
    code = container.attrs["State"].get("ExitCode")
    return HarnessError(f"service {_service(container)} ({container.name}) exited with code {code} {what}; "
                        f"last log lines: {log_tail(container, _LOG_LINES)}")  # fmt: skip
