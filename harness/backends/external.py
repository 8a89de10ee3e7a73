"""A stack that already runs (`stack.external`): the staging-cluster case.

The harness starts and stops nothing here. It sends load to the scenario's URL once that answers, opens the
links the scenario declares (a proxy listening where the user's stack was configured to reach a node,
forwarding to where the node really is) and removes them at the end. Everything else that happens to the
stack is the user's own doing, through `action` faults and `probes`; the nodes exist to be named by them
and, behind a link, by network faults.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.backend_offers import EXTERNAL, backend_offer
from harness.backends.links import LinkedNodes, Links
from harness.backends.readiness import wait_until_ready
from harness.backends.variables import run_variables
from harness.errors import HarnessError
from harness.run_identity import RunIdentity
from harness.scenario.model import Scenario
from harness.scenario.user_stacks import ExternalSpec


class ExternalBackend(LinkedNodes):
    name = EXTERNAL.name

    def __init__(self, scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None):
        if scenario.stack.external is None:
            raise HarnessError("the external backend needs stack.external")
        self.spec: ExternalSpec = scenario.stack.external
        self.capabilities = backend_offer(scenario.stack).capabilities
        self.startup_timeout = scenario.stack.startup_timeout
        self.run_dir = run_dir
        self.gateway_url = self.spec.url.rstrip("/")
        self.links = Links((identity or RunIdentity.new()).run_id, scenario.toxiproxy.url, run_dir / "logs")
        self.variables: dict[str, str] = {}
        """The run's CHAOSDRILL_* variables once started (probes and actions name them)."""

    def start(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        linked = [node for node in self.spec.nodes if node.link is not None]
        addresses: dict[str, str] = {}
        if linked:
            self.links.start(deadline, self.startup_timeout)
            for node in linked:
                assert node.link is not None  # for the type checker: filtered above
                addresses[node.name] = self.links.create(node.name, node.link.upstream, node.link.listen)
        self.variables = run_variables(self.run_dir, addresses, {})
        wait_until_ready(
            "the external stack", f"{self.gateway_url}{self.spec.ready_path}", deadline, self.startup_timeout,
            fail_fast=lambda: None, log_tail=lambda: "", interval_s=0.2, ok_below=400,
            setting="stack.external.ready_path",
        )  # fmt: skip

    def stop(self) -> None:
        """Remove the links; the stack itself is not the harness's to stop. Never raises."""
        self.links.close()

    def pids(self) -> dict[str, int]:
        return self.links.pids()
