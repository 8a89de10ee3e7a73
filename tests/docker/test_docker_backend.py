from __future__ import annotations

import socket
from pathlib import Path

import docker
import httpx
import pytest
from docker.errors import NotFound

from harness.backends.docker_backend import DockerBackend
from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_images import StackImages
from harness.errors import InputError
from harness.scenario.model import Scenario
from tests.docker.dockerstack import predict, wait_until


def test_gateway_answers_through_the_proxy(backend: DockerBackend, engine: docker.DockerClient) -> None:
    response = predict(backend.gateway_url)
    assert response.status_code == 200
    assert response.headers["x-served-by"] in backend.nodes
    assert set(backend.pids()) == {"gateway", "toxiproxy", "gpu-0", "cpu-0"}
    assert backend.link_proxy("gpu-0").listen.endswith(":9000")
    for container in engine.containers.list(filters={"label": f"chaosdrill.run_id={backend.run_id}"}):
        assert container.labels["chaosdrill"] == "1"
        for bindings in container.attrs["NetworkSettings"]["Ports"].values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings or [])
    assert engine.networks.get(backend.network.id).attrs["Labels"]["chaosdrill.run_id"] == backend.run_id


def test_kill_node_removes_the_container_and_start_node_brings_it_back(backend: DockerBackend) -> None:
    admin_url = backend.node_admin_url("gpu-0")
    details = backend.kill_node("gpu-0")
    assert details["signal"] == "SIGKILL"
    with pytest.raises(NotFound):
        backend.container("gpu-0")
    assert predict(backend.gateway_url).headers["x-served-by"] == "cpu-0"
    backend.start_node("gpu-0")
    assert backend.container("gpu-0").status in ("created", "running")
    assert backend.node_admin_url("gpu-0") == admin_url

    def ready() -> bool:
        try:
            return httpx.get(f"{admin_url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, 15.0, "restarted gpu-0 ready on its old admin port")


def test_stop_leaves_nothing_labelled(
    images: StackImages, scenario: Scenario, tmp_path: Path, engine: docker.DockerClient
) -> None:
    stack = DockerBackend(scenario, tmp_path)
    stack.start()
    assert leftovers(engine, stack.run_id)
    stack.stop()
    assert leftovers(engine, stack.run_id) == []
    saved = {log.stem for log in (tmp_path / "logs").glob("*.log")}
    assert saved == {"gateway", "toxiproxy", "gpu-0", "cpu-0"}
    stack.stop()  # idempotent, never raises


def test_busy_gateway_port_is_an_input_error(
    images: StackImages, scenario: Scenario, tmp_path: Path, engine: docker.DockerClient
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        scenario.stack.port = busy.getsockname()[1]
        stack = DockerBackend(scenario, tmp_path)
        try:
            with pytest.raises(InputError, match="already in use"):
                stack.start()
        finally:
            stack.stop()
    assert leftovers(engine, stack.run_id) == []
