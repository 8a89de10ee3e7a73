"""The docker backend hands its containers the admin token as a file: nothing `docker inspect` shows (command,
args, environment, labels) holds it, and neither does the run directory, while the admin APIs accept it."""

from __future__ import annotations

import json

import docker
import httpx

from harness.backends.docker_backend import TOKEN_FILE, DockerBackend
from tests.docker.dockerstack import wait_until


def _status(url: str, token: str) -> int:
    return httpx.post(url, json={}, headers={"X-Admin-Token": token}, timeout=10).status_code


def test_the_admin_token_is_nowhere_docker_inspect_or_the_run_dir_shows(
    backend: DockerBackend, engine: docker.DockerClient
) -> None:
    token = backend.admin_token
    containers = engine.containers.list(filters={"label": f"chaosdrill.run_id={backend.run_id}"})
    assert {c.labels["chaosdrill.role"] for c in containers} == {"gateway", "toxiproxy", "gpu-0", "cpu-0"}
    for container in containers:
        assert token not in json.dumps(engine.api.inspect_container(container.id))  # Cmd, Args, Env, ...
    holding = [p for p in backend.run_dir.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert holding == []

    assert _status(f"{backend.node_admin_url('gpu-0')}/admin/faults", token) == 200
    assert _status(f"{backend.node_admin_url('gpu-0')}/admin/faults", "wrong") == 403
    assert _status(f"{backend.gateway_url}/admin/canary/rollback", token) not in (401, 403)
    mode = backend.container("gpu-0").exec_run(["stat", "-c", "%a %U", TOKEN_FILE]).output.decode().strip()
    assert mode == "400 root"


def test_a_node_started_again_in_a_new_container_gets_the_token_too(backend: DockerBackend) -> None:
    backend.kill_node("cpu-0")
    backend.start_node("cpu-0")
    url = f"{backend.node_admin_url('cpu-0')}/admin/faults"

    def answers() -> int | None:
        try:
            return _status(url, backend.admin_token)
        except httpx.HTTPError:
            return None

    wait_until(lambda: answers() is not None, 20.0, "the restarted cpu-0 answering")
    assert answers() == 200
