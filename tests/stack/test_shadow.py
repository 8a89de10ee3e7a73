"""Shadow deployments on the real gateway and model servers: a share of the answered requests is copied to
a candidate on the canary replica and its answers compared with the users'; a slow, hung or failing
shadow changes nothing users see — unless the gateway is misconfigured to wait for it (`blocking`)."""

from __future__ import annotations

import statistics
from typing import Any

import httpx
import numpy as np
import pytest

from stack.model import VERSIONS
from tests.stack.conftest import (
    Process,
    StackLauncher,
    admin,
    baseline_body,
    pools,
    replica_entry,
    send_requests,
    state,
    wait_until,
)

ROWS = 4


def _shadow_stack(
    stack: StackLauncher, version: str, share: float, **shadow: Any
) -> tuple[Process, Process, Process]:
    stable, canary = stack.model_servers([{"name": "stable-0"}, {"name": "canary-0"}])
    config = {
        "pools": pools(east=[stable]),
        "canary_replicas": [replica_entry(canary)],
        "mechanisms": {"shadow": shadow, "degradation": {"enabled": False}},
    }
    gateway = stack.gateway(config)
    deployed = admin(gateway.url, "/admin/shadow", {"version": version, "share": share})
    assert deployed.status_code == 200 and deployed.json()["status"] == "active", deployed.text
    return gateway, stable, canary


def _bodies(count: int) -> list[dict[str, Any]]:
    return [baseline_body(seed=s, rows=ROWS) for s in range(count)]


def _settled(gateway_url: str) -> dict[str, Any]:
    """The shadow's figures once no copy is in flight any more."""
    assert wait_until(lambda: state(gateway_url)["shadow"]["in_flight"] == 0, timeout_s=5)
    return state(gateway_url)["shadow"]


def _only_stable_answered(responses: list[httpx.Response]) -> bool:
    return {(r.status_code, r.headers["X-Served-By"], r.headers["X-Model-Version"]) for r in responses} == {
        (200, "stable-0", "v1")
    }


def _seconds(responses: list[httpx.Response]) -> list[float]:
    return [r.elapsed.total_seconds() for r in responses]


def test_a_share_of_requests_is_mirrored_and_users_only_see_stable(stack: StackLauncher) -> None:
    gateway, _, canary = _shadow_stack(stack, "v2", 0.3)
    responses = send_requests(gateway.url, _bodies(600))
    shadow = _settled(gateway.url)
    assert _only_stable_answered(responses)
    assert shadow["dropped"] == 0 and shadow["errors"] == shadow["timeouts"] == 0
    # 0.3 +- 0.07 is three standard deviations of the share of 600 requests.
    assert abs(shadow["mirrored"] / len(responses) - 0.3) < 0.07, shadow
    assert shadow["rows_compared"] == shadow["mirrored"] * ROWS
    assert httpx.get(f"{canary.url}/info").json()["version"] == "v2"
    assert admin(gateway.url, "/admin/shadow/stop").json()["status"] == "stopped"
    assert httpx.get(f"{canary.url}/info").json()["version"] == "v1"
    assert admin(gateway.url, "/admin/shadow/stop").status_code == 409


@pytest.mark.parametrize("version", ["v2", "v2-inverted"])
def test_agreement_and_score_difference_are_those_of_the_rows_mirrored(
    stack: StackLauncher, version: str
) -> None:
    """Every request mirrored: the figures equal what the two versions answer on the rows sent. v2 agrees
    with v1 on ~98% of rows, v2-inverted on ~2%."""
    gateway, _, _ = _shadow_stack(stack, version, 1.0)
    bodies = _bodies(200)
    responses = send_requests(gateway.url, bodies)
    shadow = _settled(gateway.url)
    assert _only_stable_answered(responses) and shadow["mirrored"] == len(bodies)
    rows = [row for body in bodies for row in body["instances"]]
    stable, candidate = np.array(VERSIONS["v1"].predict(rows)), np.array(VERSIONS[version].predict(rows))
    assert shadow["rows_compared"] == len(rows)
    assert shadow["agreement"] == pytest.approx(np.mean((stable >= 0.5) == (candidate >= 0.5)))
    assert shadow["mean_abs_diff"] == pytest.approx(np.mean(np.abs(stable - candidate)))
    assert shadow["agreement"] > 0.97 if version == "v2" else shadow["agreement"] < 0.05


def test_a_shadow_and_a_canary_never_share_the_canary_replicas(stack: StackLauncher) -> None:
    gateway, _, _ = _shadow_stack(stack, "v2", 0.5)
    refused = admin(gateway.url, "/admin/canary", {"version": "v2", "weight": 0.2})
    assert refused.status_code == 409 and "shadow v2" in refused.text
    admin(gateway.url, "/admin/shadow/stop")
    assert admin(gateway.url, "/admin/canary", {"version": "v2", "weight": 0.2}).status_code == 200
    refused = admin(gateway.url, "/admin/shadow", {"version": "v2", "share": 0.5})
    assert refused.status_code == 409 and "canary v2" in refused.text


def test_a_failing_shadow_never_fails_a_user(stack: StackLauncher) -> None:
    gateway, _, _ = _shadow_stack(stack, "v2-bad", 1.0)
    responses = send_requests(gateway.url, _bodies(300))
    shadow = _settled(gateway.url)
    assert _only_stable_answered(responses)
    assert 0.15 < shadow["errors"] / shadow["mirrored"] < 0.45, shadow  # v2-bad fails 30%


def test_a_hung_shadow_times_out_within_its_bound_of_tasks(stack: StackLauncher) -> None:
    gateway, _, canary = _shadow_stack(stack, "v2", 1.0, timeout_ms=500, max_in_flight=8)
    admin(canary.url, "/admin/faults", {"hang": True})
    responses = send_requests(gateway.url, _bodies(300))
    during = state(gateway.url)["shadow"]
    assert _only_stable_answered(responses)
    assert statistics.quantiles(_seconds(responses), n=100)[98] < 0.2
    assert during["in_flight"] <= 8 and during["dropped"] > 0
    assert during["mirrored"] + during["dropped"] == len(responses)
    assert _settled(gateway.url)["timeouts"] == during["mirrored"]


@pytest.mark.parametrize("blocking", [False, True])
def test_users_wait_for_a_slow_shadow_only_when_the_gateway_blocks_on_it(
    stack: StackLauncher, blocking: bool
) -> None:
    """The canary replica 100x slower (~300 ms): users do not notice it, unless the gateway waits."""
    gateway, _, canary = _shadow_stack(stack, "v2", 1.0, blocking=blocking)
    admin(canary.url, "/admin/faults", {"slowdown": 100})
    responses = send_requests(gateway.url, _bodies(64))
    shadow = _settled(gateway.url)
    assert _only_stable_answered(responses)
    assert shadow["p50_ms"] > 250
    median = statistics.median(_seconds(responses))
    assert median > 0.25 if blocking else median < 0.05, median
