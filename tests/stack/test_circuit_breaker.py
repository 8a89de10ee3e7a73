"""Per-replica circuit breaker: opens after N failures, half-opens after the cooldown, closes on success."""

from __future__ import annotations

import time

import httpx

from tests.stack.conftest import StackLauncher, admin, baseline_body, pools, replica_state, state, wait_until

ISOLATED = {
    "retries": {"enabled": False},
    "health_checks": {"enabled": False},
    "outlier_ejection": {"enabled": False},
    "degradation": {"enabled": False},
}


def _predict(url: str) -> httpx.Response:
    return httpx.post(f"{url}/predict", json=baseline_body(seed=0), timeout=5)


def test_breaker_opens_then_half_opens_then_closes(stack: StackLauncher) -> None:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    breaker = {"failure_threshold": 3, "cooldown_ms": 600}
    gateway = stack.gateway(
        {"pools": pools(east=[replica]), "mechanisms": {**ISOLATED, "circuit_breaker": breaker}}
    )
    admin(replica.url, "/admin/faults", {"error_rate": 1.0})
    assert [_predict(gateway.url).status_code for _ in range(3)] == [503] * 3
    opened_at = time.monotonic()
    assert replica_state(gateway.url, "gpu-0")["breaker"] == "open"
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'chaosdrill_gateway_breaker_state{group="stable",region="east",replica="gpu-0"} 2.0' in metrics
    fast_fail = _predict(gateway.url)
    assert fast_fail.status_code == 503 and fast_fail.headers["X-Attempts"] == "0"

    assert wait_until(lambda: replica_state(gateway.url, "gpu-0")["breaker"] == "half_open", timeout_s=5)
    assert time.monotonic() - opened_at >= 0.55
    admin(replica.url, "/admin/faults", method="DELETE")
    probe = _predict(gateway.url)
    assert probe.status_code == 200 and probe.headers["X-Attempts"] == "1"
    assert replica_state(gateway.url, "gpu-0")["breaker"] == "closed"
    assert state(gateway.url)["counters"]["breaker_transitions"] == 3


def test_without_breaker_every_request_hits_the_failing_replica(stack: StackLauncher) -> None:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    mechanisms = {**ISOLATED, "circuit_breaker": {"enabled": False, "failure_threshold": 3}}
    gateway = stack.gateway({"pools": pools(east=[replica]), "mechanisms": mechanisms})
    admin(replica.url, "/admin/faults", {"error_rate": 1.0})
    responses = [_predict(gateway.url) for _ in range(10)]
    assert [(r.status_code, r.headers["X-Attempts"]) for r in responses] == [(503, "1")] * 10
    assert replica_state(gateway.url, "gpu-0")["breaker"] == "closed"
