"""The user's own commands as the stack under test, run as local processes (`stack.processes`): drills
without a container runtime, a CI runner's.

Before any node starts, everything a node's config may name exists: each node's port (fixed or free), a
link in front of each node that asks for one (its upstream is that port, known in advance) and the
templates rendered with those addresses into the run's config folder; so a load balancer started last
already reaches its replicas through `${CHAOSDRILL_LINK_<NODE>}`. Nodes start in the scenario's order,
each ready before the next starts, and stop in reverse order with their own stop signal. Each runs in a
process group of its own (`ProcessGroup`): a kill, a pause or a stop reaches the workers a server forks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from faults.capabilities import Capability
from harness.backend_offers import PROCESSES, backend_offer
from harness.backends.links import HOST, LinkedNodes, Links
from harness.backends.processes import ProcessGroup, free_port, requested_port
from harness.backends.readiness import wait_until_listening, wait_until_ready
from harness.backends.variables import PORT_VARIABLE, config_dir, run_variables
from harness.errors import HarnessError, InputError
from harness.run_identity import RunIdentity, process_marker
from harness.scenario.model import Scenario
from harness.scenario.process_nodes import FIELD, node_command, render_template, with_environment
from harness.scenario.user_stacks import ProcessNodeSpec


class ProcessesBackend(LinkedNodes):
    name = PROCESSES.name
    capabilities: frozenset[Capability] = PROCESSES.capabilities
    """Per instance: nodes with a link add network faults (`backend_offer`)."""

    def __init__(self, scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None):
        if scenario.stack.processes is None:
            raise HarnessError("the processes backend needs stack.processes")
        self.spec = scenario.stack.processes
        self.stack = scenario.stack
        self.capabilities = backend_offer(scenario.stack).capabilities
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        identity = identity or RunIdentity.new()
        self.marker = process_marker(identity)
        """In every node's environment: `cleanup` finds what a SIGKILLed harness left by it."""
        self.links = Links(identity.run_id, scenario.toxiproxy.url, self.logs)
        self.nodes = {node.name: node for node in self.spec.nodes}
        self.index = {node.name: index for index, node in enumerate(self.spec.nodes)}
        self.ports: dict[str, int] = {}
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.processes: dict[str, ProcessGroup] = {}
        self.variables: dict[str, str] = {}
        """The run's CHAOSDRILL_* variables, once started (probes and actions name them too)."""
        self.gateway_url = ""

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        deadline = time.monotonic() + self.stack.startup_timeout
        self.ports, listen = self._choose_ports()
        links = {node: f"{HOST}:{port}" for node, port in listen.items()}
        self.variables = run_variables(self.run_dir, links, self.ports)
        self._prepare(with_environment(self.variables))
        if links:
            self.links.start(deadline, self.stack.startup_timeout)
            for node, address in links.items():
                self.links.create(node, f"{HOST}:{self.ports[node]}", address)
        for node in self.spec.nodes:
            self._launch(node.name)
            self._wait_node(node, deadline)
        entry = self.spec.entrypoint
        self.gateway_url = f"http://{HOST}:{self.ports[entry.node]}"
        process = self.processes[entry.node]
        wait_until_ready(
            f"the entrypoint {entry.node}", f"{self.gateway_url}{entry.ready_path}", deadline,
            self.stack.startup_timeout, fail_fast=self._check_all_alive, log_tail=process.log_tail,
            ok_below=400, interval_s=0.05, setting=f"{FIELD}.entrypoint.ready_path",
        )  # fmt: skip

    def stop(self) -> None:
        """Every node in reverse start order with its stop signal, SIGKILL after its `stop_timeout`; then
        the links. Never raises: it runs on every exit path."""
        for node in reversed(self.spec.nodes):
            process = self.processes.get(node.name)
            if process is not None:
                with contextlib.suppress(Exception):  # one stuck node must not keep the others running
                    process.stop(grace_s=node.stop_timeout, stop_signal=signal.Signals[node.stop_signal])
        self.links.close()

    def pids(self) -> dict[str, int]:
        pids = {name: p.pid for name, p in self.processes.items() if p.pid is not None}
        return {**self.links.pids(), **pids}

    # --- capabilities: what fault kinds use -----------------------------------------------------------

    def kill_node(self, node: str) -> dict[str, Any]:
        """SIGKILL of the node's whole process group: a lost host takes its workers too."""
        return self.processes[node].kill_node(node)

    def start_node(self, node: str) -> dict[str, Any]:
        """The same command again, on the same port, as a restarted service keeps its address."""
        self._launch(node)
        return {"node": node, "pid": self.processes[node].pid}

    def restart_node(self, node: str) -> dict[str, Any]:
        killed = self.kill_node(node)
        started = self.start_node(node)
        return {"node": node, "killed_pid": killed["pid"], "pid": started["pid"]}

    def pause_node(self, node: str) -> dict[str, Any]:
        process = self.processes[node]
        process.send(signal.SIGSTOP)
        return {"node": node, "pid": process.pid, "signal": "SIGSTOP"}

    def unpause_node(self, node: str) -> None:
        self.processes[node].send(signal.SIGCONT)

    # --- internals -------------------------------------------------------------------------------------

    def _choose_ports(self) -> tuple[dict[str, int], dict[str, int]]:
        """Each node's port (its fixed one, checked free, or a free one) and the port of each node's link,
        all different."""
        fixed = {
            n.name: requested_port(n.port, HOST, f"{FIELD}.nodes[{self.index[n.name]}].port")
            for n in self.spec.nodes
            if n.port is not None
        }
        taken = set(fixed.values())

        def pick() -> int:
            port = free_port(HOST)
            while port in taken:
                port = free_port(HOST)
            taken.add(port)
            return port

        ports = {n.name: fixed.get(n.name) or pick() for n in self.spec.nodes}
        return ports, {n.name: pick() for n in self.spec.nodes if n.link}

    def _prepare(self, variables: dict[str, str]) -> None:
        """Every node's command and environment, and the rendered templates, before anything starts: a
        placeholder the run does not set or a program that does not exist is bad input, not a half-started
        stack."""
        try:
            for node in self.spec.nodes:
                index = self.index[node.name]
                argv, env = node_command(node, index, variables, self.ports[node.name])
                env = {**self.variables, PORT_VARIABLE: str(self.ports[node.name]), **env, **self.marker}
                _check_program(argv[0], node, env, f"{FIELD}.nodes[{index}].command")
                self.commands[node.name] = (argv, env)
            folder = config_dir(self.run_dir)
            for index, template in enumerate(self.spec.templates):
                text = render_template(template.template, variables, f"{FIELD}.templates[{index}].template")
                target = folder / str(template.path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def _launch(self, name: str) -> None:
        argv, env = self.commands[name]
        process = ProcessGroup(name, argv, self.logs / f"{name}.log", env, self.nodes[name].cwd)
        try:
            process.start()
        except OSError as exc:
            where = f"{FIELD}.nodes[{self.index[name]}].command"
            raise InputError(f"{where}: cannot run {argv[0]}: {exc.strerror or exc}") from None
        self.processes[name] = process

    def _wait_node(self, node: ProcessNodeSpec, deadline: float) -> None:
        process, port, limit = self.processes[node.name], self.ports[node.name], self.stack.startup_timeout
        if node.ready_path is None:
            wait_until_listening(
                node.name, HOST, port, deadline, limit, fail_fast=process.check_alive,
                log_tail=process.log_tail, interval_s=0.05,
            )  # fmt: skip
            return
        wait_until_ready(
            node.name, f"http://{HOST}:{port}{node.ready_path}", deadline, limit,
            fail_fast=process.check_alive, log_tail=process.log_tail, ok_below=400, interval_s=0.05,
            setting=f"{FIELD}.nodes[{self.index[node.name]}].ready_path",
        )  # fmt: skip

    def _check_all_alive(self) -> None:
        for process in self.processes.values():
            process.check_alive()


def _check_program(program: str, node: ProcessNodeSpec, env: dict[str, str], where: str) -> None:
    """The program exists where the node would run it: a path relative to its `cwd`, or a name on the
    node's PATH."""
    if os.sep in program:
        path = (node.cwd or Path()) / program
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ValueError(f"{where}: no executable {path}")
    elif shutil.which(program, path=env.get("PATH", os.environ.get("PATH", os.defpath))) is None:
        raise ValueError(f"{where}: no program {program!r} on PATH")
