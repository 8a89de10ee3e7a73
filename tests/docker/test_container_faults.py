"""Each container fault's observable effect on a real stack, and that clearing it undoes it."""

from __future__ import annotations

import httpx
import psutil
import pytest

from faults.container import NodePartition, NodePause, NodeRestart, NodeStop, OomKill, ResourceSqueeze
from harness.backends.docker_backend import DockerBackend
from tests.docker.dockerstack import predict, wait_until


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_pause_hangs_the_node_until_cleared(backend: DockerBackend) -> None:
    url = backend.node_admin_url("gpu-0")
    fault = NodePause(backend, "gpu-0")
    fault.apply()
    assert backend.container("gpu-0").status == "paused"
    with pytest.raises(httpx.TimeoutException):
        httpx.get(f"{url}/healthz", timeout=1.0)
    fault.clear()
    fault.clear()
    assert _answers(url)


def test_partition_cuts_the_node_off_and_traffic_goes_elsewhere(backend: DockerBackend) -> None:
    fault = NodePartition(backend, "gpu-0")
    fault.apply()
    assert backend.network.name not in backend.container("gpu-0").attrs["NetworkSettings"]["Networks"]
    served = [predict(backend.gateway_url).headers["x-served-by"] for _ in range(5)]
    assert served == ["cpu-0"] * 5
    fault.clear()
    fault.clear()
    assert backend.network.name in backend.container("gpu-0").attrs["NetworkSettings"]["Networks"]
    wait_until(lambda: predict(backend.gateway_url).headers["x-served-by"] == "gpu-0", 15.0, "gpu-0 back")


def test_cpu_and_memory_squeeze_show_in_the_container_and_are_restored(backend: DockerBackend) -> None:
    fault = ResourceSqueeze(backend, "cpu-0", cpus=0.5, memory=256 << 20)
    fault.apply()
    host = backend.container("cpu-0").attrs["HostConfig"]
    assert (host["CpuQuota"], host["CpuPeriod"], host["Memory"]) == (50_000, 100_000, 256 << 20)
    assert predict(backend.gateway_url).status_code == 200
    fault.clear()
    fault.clear()
    host = backend.container("cpu-0").attrs["HostConfig"]
    assert host["CpuQuota"] in (0, -1)
    assert host["Memory"] in (0, psutil.virtual_memory().total)


def test_oom_kill_is_a_real_kernel_oom_kill(backend: DockerBackend) -> None:
    fault = OomKill(backend, "gpu-0", restart=True)
    details = fault.apply()
    state = backend.container("gpu-0").attrs["State"]
    assert details["oom_killed"] and state["OOMKilled"] and state["Status"] == "exited"
    fault.clear()
    assert backend.container("gpu-0").status == "running"
    wait_until(lambda: _answers(backend.node_admin_url("gpu-0")), 15.0, "gpu-0 restarted after OOM")


def test_stop_and_restart(backend: DockerBackend) -> None:
    started_at = backend.container("cpu-0").attrs["State"]["StartedAt"]
    NodeRestart(backend, "cpu-0").apply()
    assert backend.container("cpu-0").attrs["State"]["StartedAt"] != started_at
    stop = NodeStop(backend, "cpu-0")
    stop.apply()
    assert backend.container("cpu-0").status == "exited"
    stop.clear()
    stop.clear()
    assert backend.container("cpu-0").status == "running"
