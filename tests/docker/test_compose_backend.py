"""A user's compose stack (the shipped example) in real containers: lifecycle, node faults, clear errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from faults.container import NodePartition, NodePause, OomKill
from harness.backends import make_backend
from harness.backends.compose_backend import PROJECT_LABEL, ComposeBackend
from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_images import StackImages
from harness.errors import HarnessError, InputError
from harness.injection import build_injectors
from harness.plan import PlannedFault
from harness.scenario import load_scenario
from harness.scenario.model import FaultSpec, Scenario
from tests.docker.dockerstack import predict, wait_until

REPO = Path(__file__).resolve().parents[2]
USER_STACK = REPO / "scenarios" / "examples" / "compose_user_stack.compose.yaml"
FIXTURES = Path(__file__).parent / "compose"


def compose_scenario(tmp_path: Path, compose_file: Path, **stack: object) -> Scenario:
    extra = "".join(f"\n  {key}: {value}" for key, value in stack.items())
    path = tmp_path / "compose-test.yaml"
    path.write_text(f"""
name: compose-test
stack:
  backend: docker
  startup_timeout: 45s{extra}
  compose:
    file: {compose_file}
    entrypoint: {{service: gateway, port: 8080, ready_path: /readyz}}
load: {{users: 1, duration: 5s}}
""")
    return load_scenario(path)


@pytest.fixture
def stack_image(images: StackImages, monkeypatch: pytest.MonkeyPatch) -> str:
    """The user's compose file names its image through this variable, as a user's CI would."""
    monkeypatch.setenv("CHAOSDRILL_STACK_IMAGE", images.stack)
    return images.stack


@pytest.fixture
def backend(stack_image: str, tmp_path: Path) -> Iterator[ComposeBackend]:
    stack = make_backend(compose_scenario(tmp_path, USER_STACK), tmp_path / "run")
    assert isinstance(stack, ComposeBackend)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _served_by(backend: ComposeBackend) -> str:
    return predict(backend.gateway_url).headers["x-served-by"]


def test_start_serves_on_loopback_and_stop_leaves_nothing(
    backend: ComposeBackend, engine: docker.DockerClient
) -> None:
    assert predict(backend.gateway_url).status_code == 200
    assert backend.gateway_url.startswith("http://127.0.0.1:")
    assert set(backend.pids()) == {"gateway", "gpu-0", "cpu-0"}
    project = {"label": f"{PROJECT_LABEL}={backend.project_name}"}
    labelled = leftovers(engine, backend.run_id)
    assert len([item for item in labelled if item.startswith("container ")]) == 3
    assert any(item.startswith("network ") for item in labelled)
    backend.stop()
    assert leftovers(engine, backend.run_id) == []
    assert engine.containers.list(all=True, filters=project) == []
    assert engine.networks.list(filters=project) == []
    assert {p.name for p in backend.logs.iterdir()} == {"gateway.log", "gpu-0.log", "cpu-0.log"}
    backend.stop()  # idempotent: the fixture's teardown calls it again


def test_kill_node_and_start_node(backend: ComposeBackend) -> None:
    details = backend.kill_node("gpu-0")
    assert details["signal"] == "SIGKILL"
    assert backend.container("gpu-0").attrs["State"]["ExitCode"] == 137
    wait_until(lambda: _served_by(backend) == "cpu-0", 10.0, "traffic failed over to cpu-0")
    backend.start_node("gpu-0")
    assert backend.container("gpu-0").status == "running"
    wait_until(lambda: _served_by(backend) == "gpu-0", 15.0, "gpu-0 (primary region) serving again")


def test_pause_and_partition_through_node_faults(backend: ComposeBackend) -> None:
    pause = NodePause(backend, "gpu-0")
    pause.apply()
    assert backend.container("gpu-0").status == "paused"
    wait_until(lambda: _served_by(backend) == "cpu-0", 10.0, "traffic away from the paused node")
    pause.clear()
    wait_until(lambda: _served_by(backend) == "gpu-0", 15.0, "gpu-0 serving after unpause")

    partition = NodePartition(backend, "gpu-0")
    details = partition.apply()
    assert details["networks"] == [f"{backend.project_name}_default"]
    assert backend.container("gpu-0").attrs["NetworkSettings"]["Networks"] == {}
    wait_until(lambda: _served_by(backend) == "cpu-0", 10.0, "traffic away from the cut-off node")
    partition.clear()
    partition.clear()
    endpoint = backend.container("gpu-0").attrs["NetworkSettings"]["Networks"][details["networks"][0]]
    assert "gpu-0" in endpoint["Aliases"]  # the service name resolves again on the user's network
    wait_until(lambda: _served_by(backend) == "gpu-0", 15.0, "gpu-0 serving after the partition")


def test_link_faults_are_refused(tmp_path: Path) -> None:
    """Validation already rejects the fault kinds that need these; a compose stack does not offer them,
    and building their injectors is still refused plainly."""
    backend = ComposeBackend(compose_scenario(tmp_path, USER_STACK), tmp_path / "run")
    with pytest.raises(HarnessError, match="latency needs network links"):
        build_injectors(_planned("latency", {"latency": "1s"}), backend)
    with pytest.raises(HarnessError, match="error-burst needs model server faults"):
        build_injectors(_planned("error-burst", {}), backend)


def _planned(kind: str, params: dict[str, object]) -> PlannedFault:
    fault = {"name": "f", "kind": kind, "at": "1s", "duration": "1s", "target": "gpu-0", "params": params}
    spec = FaultSpec.model_validate(fault)
    return PlannedFault(spec, ("gpu-0",))


def _start_fails(scenario: Scenario, run_dir: Path, engine: docker.DockerClient) -> HarnessError:
    """Start must fail with one line, and leave nothing behind once stopped."""
    stack = ComposeBackend(scenario, run_dir)
    try:
        with pytest.raises(HarnessError) as failure:
            stack.start()
    finally:
        stack.stop()
    assert leftovers(engine, stack.run_id) == []
    assert "\n" not in str(failure.value)
    return failure.value


def test_missing_image_is_named_and_never_pulled(tmp_path: Path, engine: docker.DockerClient) -> None:
    scenario = compose_scenario(tmp_path, FIXTURES / "missing_image.compose.yaml")
    error = _start_fails(scenario, tmp_path / "run", engine)
    assert isinstance(error, InputError)
    assert "service gateway uses image chaosdrill-test/never-built:0" in str(error)


def test_service_exiting_during_start_shows_its_log(
    stack_image: str, tmp_path: Path, engine: docker.DockerClient
) -> None:
    scenario = compose_scenario(tmp_path, FIXTURES / "crashing.compose.yaml")
    message = str(_start_fails(scenario, tmp_path / "run", engine))
    assert "service gateway" in message and "exited with code 1" in message
    assert "missing.json" in message  # from the service's own last log lines


def test_busy_fixed_port_is_refused(stack_image: str, tmp_path: Path, engine: docker.DockerClient) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        error = _start_fails(compose_scenario(tmp_path, USER_STACK, port=port), tmp_path / "run", engine)
    assert isinstance(error, InputError)
    assert f"stack.port: 127.0.0.1:{port} is already in use" in str(error)


def test_missing_compose_tool_is_one_clear_line(
    stack_image: str, tmp_path: Path, engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = compose_scenario(tmp_path, USER_STACK)
    monkeypatch.setenv("PATH", str(tmp_path))
    error = _start_fails(scenario, tmp_path / "run", engine)
    assert "needs docker-compose or the docker compose plugin" in str(error)


def test_unreachable_engine_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = compose_scenario(tmp_path, USER_STACK)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    stack = ComposeBackend(scenario, tmp_path / "run")
    with pytest.raises(HarnessError, match="Docker is not reachable"):
        stack.start()
    stack.stop()


def test_oom_kill_needs_nothing_from_the_users_image_but_a_shell(backend: ComposeBackend) -> None:
    oom = OomKill(backend, "cpu-0", restart=True)
    details = oom.apply()
    assert details["oom_killed"] and backend.container("cpu-0").attrs["State"]["OOMKilled"]
    oom.clear()
    assert backend.container("cpu-0").status == "running"
