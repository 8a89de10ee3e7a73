"""Stack backends: how the serving stack under test is started, reached, broken and torn down.

Every backend offers the same interface (see `harness.injection.StackControl` plus `start`, `stop`,
`pids`, `gateway_url`), so the runner, the scheduler and the injectors never ask which one they drive.
"""

from __future__ import annotations

from pathlib import Path

from harness.backends.base import StackBackend
from harness.backends.local import LocalBackend
from harness.run_identity import RunIdentity
from harness.scenario.model import Scenario


def make_backend(scenario: Scenario, run_dir: Path, identity: RunIdentity | None = None) -> StackBackend:
    """The backend `stack.backend` names (a compose file means the user's own stack); docker backends are
    imported only when used (they talk to the engine)."""
    if scenario.stack.compose is not None:
        from harness.backends.compose_backend import ComposeBackend

        return ComposeBackend(scenario, run_dir, identity)
    if scenario.stack.backend == "docker":
        from harness.backends.docker_backend import DockerBackend

        return DockerBackend(scenario, run_dir, identity)
    return LocalBackend(scenario, run_dir, identity)
