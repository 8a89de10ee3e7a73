"""Docker tests run real containers; without an engine they skip, except under CI, where they must run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from harness.backends.docker_backend import DockerBackend
from harness.backends.docker_client import docker_client
from harness.backends.docker_images import StackImages, build_images
from harness.errors import HarnessError
from harness.scenario import load_scenario
from harness.scenario.model import Scenario

# Two replicas in two regions and no canary: the smallest stack that still has a failover target.
SCENARIO = """
name: docker-test
stack:
  backend: docker
  startup_timeout: 60s
  canary_replicas: 0
  replicas:
    - {name: gpu-0, accelerator: gpu, region: east}
    - {name: cpu-0, accelerator: cpu, region: west}
load: {users: 1, duration: 5s}
"""


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    try:
        return docker_client(timeout_s=10)
    except HarnessError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no Docker Engine answers: {exc}")
        pytest.skip(f"no Docker Engine answers: {exc}")


@pytest.fixture(scope="session")
def images(engine: docker.DockerClient) -> StackImages:
    """Cached by content hash: seconds unless the stack's sources changed."""
    return build_images(log=lambda line: None)


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "docker-test.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def scenario(scenario_file: Path) -> Scenario:
    return load_scenario(scenario_file)


@pytest.fixture
def backend(images: StackImages, scenario: Scenario, tmp_path: Path) -> Iterator[DockerBackend]:
    stack = DockerBackend(scenario, tmp_path / "run")
    (tmp_path / "run").mkdir()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
