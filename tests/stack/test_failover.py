"""A SIGKILLed replica: invisible to clients with failover on, client errors with it off."""

from __future__ import annotations

from collections import Counter

from tests.stack.conftest import StackLauncher, baseline_body, pools, send_requests, state

FAST_CHECKS = {"health_checks": {"interval_ms": 100, "timeout_ms": 100}, "degradation": {"enabled": False}}


def test_killed_replicas_fail_over_within_and_across_regions(stack: StackLauncher) -> None:
    east0, east1, west0 = stack.model_servers(
        [{"name": "east-0"}, {"name": "east-1"}, {"name": "west-0", "region": "west"}]
    )
    gateway = stack.gateway({"pools": pools(east=[east0, east1], west=[west0]), "mechanisms": FAST_CHECKS})
    bodies = [baseline_body(seed=s) for s in range(60)]
    assert {r.status_code for r in send_requests(gateway.url, bodies)} == {200}

    east0.kill()
    after_first_kill = send_requests(gateway.url, bodies)
    assert [r.status_code for r in after_first_kill] == [200] * len(bodies)
    assert {r.headers["X-Served-By"] for r in after_first_kill} <= {"east-1", "west-0"}

    east1.kill()
    after_region_loss = send_requests(gateway.url, bodies)
    assert [r.status_code for r in after_region_loss] == [200] * len(bodies)
    assert {r.headers["X-Served-By"] for r in after_region_loss} == {"west-0"}
    assert state(gateway.url)["counters"]["failovers"] >= len(bodies)


def test_without_failover_a_killed_replica_surfaces_as_errors(stack: StackLauncher) -> None:
    east0, east1 = stack.model_servers([{"name": "east-0"}, {"name": "east-1"}])
    # Breaker and budget off too, so every failing request shows its retries stuck on the dead replica.
    mechanisms = {
        **FAST_CHECKS,
        "failover": {"enabled": False},
        "circuit_breaker": {"enabled": False},
        "retry_budget": {"enabled": False},
    }
    gateway = stack.gateway({"pools": pools(east=[east0, east1]), "mechanisms": mechanisms})
    east0.kill()
    responses = send_requests(gateway.url, [baseline_body(seed=s) for s in range(60)])
    statuses = Counter(r.status_code for r in responses)
    # Round-robin keeps sending half the traffic to the dead replica, and retries stick to it.
    assert 20 <= statuses[503] <= 40 and statuses[503] + statuses[200] == 60
    failed = [r for r in responses if r.status_code == 503]
    assert {(r.headers["X-Served-By"], r.headers["X-Attempts"]) for r in failed} == {("none", "3")}
    assert all("error" in r.json() for r in failed)
