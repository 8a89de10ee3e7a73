"""`cold-start` on the docker backend: the node's container replaced by one whose model server starts cold."""

from __future__ import annotations

import httpx

from harness.backends.docker_backend import DockerBackend
from harness.injection import build_injectors
from harness.plan import PlannedFault
from harness.scenario.model import FaultSpec
from tests.docker.dockerstack import wait_until


def _readyz(url: str) -> int:
    try:
        return httpx.get(f"{url}/readyz", timeout=1.0).status_code
    except httpx.HTTPError:
        return 0


def test_the_node_comes_back_cold_then_warm(backend: DockerBackend) -> None:
    fault = {"name": "cold", "kind": "cold-start", "at": "1s", "target": "gpu-0", "params": {"warmup": "4s"}}
    [injector] = build_injectors(PlannedFault(FaultSpec.model_validate(fault), ("gpu-0",)), backend)
    before = backend.container("gpu-0").id
    details = injector.apply()
    assert details["started"]["settings"] == {"warmup": 4.0, "warmup_slowdown": 10.0}
    assert backend.container("gpu-0").id != before
    url = backend.node_admin_url("gpu-0")
    wait_until(lambda: _readyz(url) == 503, 30.0, "gpu-0 up and warming")
    wait_until(lambda: _readyz(url) == 200, 15.0, "gpu-0 warm")
    injector.clear()
    injector.clear()
