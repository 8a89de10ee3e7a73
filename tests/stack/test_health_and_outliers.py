"""Active health checks and passive outlier ejection take a bad replica out of rotation; off, they don't."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.stack.conftest import (
    StackLauncher,
    admin,
    baseline_body,
    pools,
    replica_state,
    send_requests,
    wait_until,
)

QUIET = {
    "circuit_breaker": {"enabled": False},
    "retries": {"enabled": False},
    "degradation": {"enabled": False},
}


def _gateway(stack: StackLauncher, mechanisms: dict[str, Any]) -> tuple[str, str]:
    good, bad = stack.model_servers([{"name": "good-0"}, {"name": "bad-0"}])
    gateway = stack.gateway({"pools": pools(east=[good, bad]), "mechanisms": {**QUIET, **mechanisms}})
    return gateway.url, bad.url


def test_hung_replica_is_marked_unhealthy_and_skipped(stack: StackLauncher) -> None:
    checks = {"health_checks": {"interval_ms": 100, "timeout_ms": 100, "unhealthy_threshold": 2}}
    url, bad_url = _gateway(stack, {**checks, "outlier_ejection": {"enabled": False}})
    admin(bad_url, "/admin/faults", {"hang": True})
    assert wait_until(lambda: not replica_state(url, "bad-0")["healthy"], timeout_s=5)
    responses = send_requests(url, [baseline_body(seed=s) for s in range(20)])
    assert {(r.status_code, r.headers["X-Served-By"]) for r in responses} == {(200, "good-0")}
    admin(bad_url, "/admin/faults", method="DELETE")
    assert wait_until(lambda: replica_state(url, "bad-0")["healthy"], timeout_s=5)


def test_without_health_checks_a_hung_replica_stays_in_rotation(stack: StackLauncher) -> None:
    mechanisms = {"health_checks": {"enabled": False}, "outlier_ejection": {"enabled": False}}
    url, bad_url = _gateway(stack, {**mechanisms, "timeouts": {"attempt_ms": 200, "deadline_ms": 500}})
    admin(bad_url, "/admin/faults", {"hang": True})
    responses = send_requests(url, [baseline_body(seed=s) for s in range(10)])
    assert replica_state(url, "bad-0")["healthy"]
    assert Counter(r.status_code for r in responses)[503] >= 3
    admin(bad_url, "/admin/faults", method="DELETE")


def test_outlier_ejection_from_live_errors(stack: StackLauncher) -> None:
    ejection = {"outlier_ejection": {"consecutive_errors": 3, "ejection_ms": 30_000}}
    url, bad_url = _gateway(stack, {"health_checks": {"enabled": False}, **ejection})
    admin(bad_url, "/admin/faults", {"error_rate": 1.0})
    first = send_requests(url, [baseline_body(seed=s) for s in range(10)], concurrency=1)
    assert Counter(r.status_code for r in first)[503] == 3
    assert replica_state(url, "bad-0")["ejected"]
    later = send_requests(url, [baseline_body(seed=s) for s in range(20)])
    assert {(r.status_code, r.headers["X-Served-By"]) for r in later} == {(200, "good-0")}


def test_without_outlier_ejection_errors_continue(stack: StackLauncher) -> None:
    mechanisms = {"health_checks": {"enabled": False}, "outlier_ejection": {"enabled": False}}
    url, bad_url = _gateway(stack, mechanisms)
    admin(bad_url, "/admin/faults", {"error_rate": 1.0})
    responses = send_requests(url, [baseline_body(seed=s) for s in range(20)], concurrency=1)
    assert Counter(r.status_code for r in responses)[503] == 10
    assert not replica_state(url, "bad-0")["ejected"]
