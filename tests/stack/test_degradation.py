"""With every replica down, degradation answers from the lite fallback; without it clients get a 503."""

from __future__ import annotations

import httpx

from tests.stack.conftest import StackLauncher, baseline_body, dead_url

DOWN = [
    {
        "region": "east",
        "replicas": [{"name": "gpu-0", "url": dead_url()}, {"name": "gpu-1", "url": dead_url()}],
    }
]


def test_degraded_fallback_when_all_replicas_are_down(stack: StackLauncher) -> None:
    gateway = stack.gateway({"pools": DOWN})
    response = httpx.post(f"{gateway.url}/predict", json=baseline_body(seed=1, rows=3))
    assert response.status_code == 200
    assert (response.headers["X-Degraded"], response.headers["X-Served-By"]) == ("true", "fallback")
    assert response.headers["X-Model-Version"] == "lite-prior" and len(response.json()["predictions"]) == 3
    invalid = httpx.post(f"{gateway.url}/predict", json={"instances": [{"age": "old"}]})
    assert invalid.status_code == 422 and invalid.headers["X-Degraded"] == "true"
    assert httpx.get(f"{gateway.url}/readyz").status_code == 200


def test_without_degradation_clients_get_503(stack: StackLauncher) -> None:
    gateway = stack.gateway({"pools": DOWN, "mechanisms": {"degradation": {"enabled": False}}})
    response = httpx.post(f"{gateway.url}/predict", json=baseline_body(seed=1))
    assert response.status_code == 503 and "error" in response.json()
    assert (response.headers["X-Degraded"], response.headers["X-Served-By"]) == ("false", "none")
    assert int(response.headers["X-Attempts"]) >= 1
