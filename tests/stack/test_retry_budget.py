"""Full outage: the retry budget bounds attempts per request; without it every request retries to the max."""

from __future__ import annotations

from typing import Any

from tests.stack.conftest import StackLauncher, baseline_body, dead_url, send_requests, state

REQUESTS = 100


def _outage_gateway(stack: StackLauncher, budget: dict[str, Any]) -> str:
    replicas = [{"name": f"gpu-{i}", "url": dead_url()} for i in range(2)]
    mechanisms = {
        "retries": {"max_attempts": 3, "backoff_base_ms": 1, "backoff_max_ms": 2},
        "retry_budget": budget,
        "circuit_breaker": {"enabled": False},
        "health_checks": {"enabled": False},
        "outlier_ejection": {"enabled": False},
        "degradation": {"enabled": False},
    }
    return stack.gateway({"pools": [{"region": "east", "replicas": replicas}], "mechanisms": mechanisms}).url


def _attempts(url: str) -> list[int]:
    responses = send_requests(url, [baseline_body(seed=s) for s in range(REQUESTS)])
    assert {r.status_code for r in responses} == {503}
    return [int(r.headers["X-Attempts"]) for r in responses]


def test_budget_bounds_attempts_per_request(stack: StackLauncher) -> None:
    budget = {"ratio": 0.2, "min_per_second": 0.5, "window_ms": 10_000}
    url = _outage_gateway(stack, budget)
    attempts = _attempts(url)
    free_retries = 0.5 * 10
    assert sum(attempts) / REQUESTS <= 1 + 0.2 + free_retries / REQUESTS + 0.02
    assert state(url)["counters"]["retries_denied_by_budget"] >= REQUESTS // 2


def test_without_budget_every_request_retries_to_max_attempts(stack: StackLauncher) -> None:
    url = _outage_gateway(stack, {"enabled": False})
    assert _attempts(url) == [3] * REQUESTS
    assert state(url)["counters"]["retries"] == 2 * REQUESTS
