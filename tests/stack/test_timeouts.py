"""Per-attempt timeout and overall deadline: a hung replica costs the client the deadline, then a 504."""

from __future__ import annotations

import time

import httpx

from tests.stack.conftest import StackLauncher, admin, baseline_body, pools


def test_hung_replica_hits_attempt_timeouts_then_the_deadline(stack: StackLauncher) -> None:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    mechanisms = {
        "timeouts": {"attempt_ms": 100, "deadline_ms": 250},
        "retries": {"max_attempts": 5, "backoff_base_ms": 1, "backoff_max_ms": 2},
        "health_checks": {"enabled": False},
        "circuit_breaker": {"enabled": False},
        "degradation": {"enabled": False},
    }
    gateway = stack.gateway({"pools": pools(east=[replica]), "mechanisms": mechanisms})
    admin(replica.url, "/admin/faults", {"hang": True})
    started = time.monotonic()
    response = httpx.post(f"{gateway.url}/predict", json=baseline_body(seed=0), timeout=5)
    elapsed = time.monotonic() - started
    assert response.status_code == 504 and "deadline" in response.json()["error"]
    # 100 ms + 100 ms + the ~50 ms left of the deadline; a lagging event loop may leave room for only two.
    assert response.headers["X-Attempts"] in {"2", "3"}
    assert 0.24 <= elapsed < 1.5
    admin(replica.url, "/admin/faults", method="DELETE")
