"""Stack backends: how the serving stack under test is started, reached, broken and torn down.

Every backend offers the same small interface (`harness.backends.base.StackBackend`) plus the capabilities
its class declares (`harness.backend_offers`), so the runner, the scheduler and the fault kinds never ask
which one they drive. Backend modules are imported only when used: validation reads what they offer from
`harness.backend_offers` without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.backend_offers import COMPOSE, DOCKER, EXTERNAL, PROCESSES, backend_offer
from harness.backends.base import StackBackend

if TYPE_CHECKING:
    from harness.run_identity import RunIdentity
    from harness.scenario.model import Scenario


def make_backend(scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None) -> StackBackend:
    """The backend `stack.backend` names (a compose file or processes mean the user's own stack). Offers
    are told apart by name: a stack with links is offered a copy of its backend's entry."""
    offer = backend_offer(scenario.stack)
    if offer.name == COMPOSE.name:
        from harness.backends.compose_backend import ComposeBackend

        return ComposeBackend(scenario, run_dir, identity)
    if offer.name == PROCESSES.name:
        from harness.backends.user_processes import ProcessesBackend

        return ProcessesBackend(scenario, run_dir, identity)
    if offer.name == EXTERNAL.name:
        from harness.backends.external import ExternalBackend

        return ExternalBackend(scenario, run_dir, identity)
    if offer.name == DOCKER.name:
        from harness.backends.docker_backend import DockerBackend

        return DockerBackend(scenario, run_dir, identity)
    from harness.backends.local import LocalBackend

    return LocalBackend(scenario, run_dir, identity)
