"""Links on a compose stack: chaosdrill's proxy inside the project's network, the user's file reaching it
through `${CHAOSDRILL_LINK_...}`, network faults through the real fault kinds' injectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from faults.capabilities import NetworkLinks
from harness.backends import make_backend
from harness.backends.compose_backend import ComposeBackend
from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_images import StackImages
from harness.injection import build_injectors
from harness.plan import PlannedFault
from harness.scenario import load_scenario
from harness.scenario.model import FaultSpec
from tests.docker.dockerstack import predict, wait_until

LINKED = Path(__file__).parent / "compose" / "linked.compose.yaml"
# Through the gateway container's own network: what the user's load balancer sees of the link.
_TIMED_GET = (
    "import time, urllib.request; t = time.monotonic(); "
    "urllib.request.urlopen('http://chaosdrill-proxy:9000/readyz', timeout=10).read(); "
    "print(round(time.monotonic() - t, 2))"
)


@pytest.fixture
def backend(images: StackImages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ComposeBackend]:
    monkeypatch.setenv("CHAOSDRILL_STACK_IMAGE", images.stack)
    path = tmp_path / "linked.yaml"
    path.write_text(f"""
name: linked
stack:
  backend: docker
  startup_timeout: 45s
  compose:
    file: {LINKED}
    entrypoint: {{service: gateway, port: 8080, ready_path: /readyz}}
    links: {{gpu-0: "gpu-0:8000"}}
load: {{users: 1, duration: 5s}}
""")
    stack = make_backend(load_scenario(path), tmp_path / "run")
    assert isinstance(stack, ComposeBackend)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _planned(kind: str, params: dict[str, object]) -> PlannedFault:
    fault = {"name": "f", "kind": kind, "at": "1s", "duration": "1s", "target": "gpu-0", "params": params}
    return PlannedFault(FaultSpec.model_validate(fault), ("gpu-0",))


def _through_link(backend: ComposeBackend) -> float:
    """Seconds a request through gpu-0's link takes, from inside the project's network."""
    code, output = backend.container("gateway").exec_run(["python", "-c", _TIMED_GET])
    assert code == 0, output
    return float(output)


def test_the_users_stack_reaches_its_node_through_the_link(
    backend: ComposeBackend, engine: docker.DockerClient
) -> None:
    assert backend.variables["CHAOSDRILL_LINK_GPU_0"] == "chaosdrill-proxy:9000"
    assert NetworkLinks in backend.capabilities
    proxy = backend.link_proxy("gpu-0")
    assert (proxy.name, proxy.upstream, proxy.listen) == (
        f"chaosdrill-{backend.run_id}-gpu-0",
        "gpu-0:8000",
        "0.0.0.0:9000",
    )
    assert predict(backend.gateway_url).headers["x-served-by"] == "gpu-0"
    proxy_container = backend.container("chaosdrill-proxy")
    bindings = proxy_container.attrs["NetworkSettings"]["Ports"]
    assert [b["HostIp"] for b in bindings["8474/tcp"]] == ["127.0.0.1"]  # only the API, on loopback
    assert "9000/tcp" not in bindings or not bindings["9000/tcp"]
    check = backend.container("link-check").attrs["State"]  # it connected to the link as it started
    assert (check["Status"], check["ExitCode"]) == ("exited", 0)
    backend.stop()
    assert leftovers(engine, backend.run_id) == []
    assert (backend.logs / "chaosdrill-proxy.log").exists()


def test_latency_and_down_on_a_compose_link(backend: ComposeBackend) -> None:
    assert _through_link(backend) < 0.5
    latency = build_injectors(_planned("latency", {"latency": "1s"}), backend)
    for injector in latency:
        injector.apply()
    assert _through_link(backend) >= 1.0  # the toxic is on the link the user's stack uses
    for injector in latency:
        injector.clear()
    assert _through_link(backend) < 0.5

    (down,) = build_injectors(_planned("down", {}), backend)
    down.apply()
    wait_until(lambda: predict(backend.gateway_url).headers["x-served-by"] == "cpu-0", 10.0, "failover")
    down.clear()
    wait_until(lambda: predict(backend.gateway_url).headers["x-served-by"] == "gpu-0", 15.0, "gpu-0 again")
