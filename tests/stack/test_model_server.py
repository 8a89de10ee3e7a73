"""Model server behaviour over real sockets: predictions, labels, probes, admin auth and process faults."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.stack.conftest import (
    Process,
    StackLauncher,
    admin,
    baseline_body,
    latency_sum,
    send_requests,
    wait_until,
)


@pytest.fixture
def replica(stack: StackLauncher) -> Process:
    return stack.model_servers([{"name": "gpu-7", "region": "west", "accelerator": "gpu"}])[0]


def test_predict_returns_probabilities_and_labels(replica: Process) -> None:
    response = httpx.post(f"{replica.url}/predict", json=baseline_body(seed=1, rows=4))
    assert response.status_code == 200
    body = response.json()
    assert len(body["predictions"]) == 4 and all(0 < p < 1 for p in body["predictions"])
    assert response.headers["X-Served-By"] == "gpu-7" and response.headers["X-Model-Version"] == "v1"
    info = httpx.get(f"{replica.url}/info").json()
    assert info["ready"] is True and (info["region"], info["accelerator"]) == ("west", "gpu")
    metrics = httpx.get(f"{replica.url}/metrics").text
    assert 'chaosdrill_model_info{accelerator="gpu",name="gpu-7",region="west",version="v1"} 1.0' in metrics
    assert 'chaosdrill_model_requests_total{status="200"} 1.0' in metrics


def test_admin_api_requires_token(replica: Process) -> None:
    assert httpx.get(f"{replica.url}/admin/faults").status_code == 401
    wrong = httpx.post(
        f"{replica.url}/admin/faults", json={"error_rate": 1}, headers={"X-Admin-Token": "nope"}
    )
    assert wrong.status_code == 403
    assert admin(replica.url, "/admin/faults", {"error_rate": 2}).status_code == 400
    assert admin(replica.url, "/admin/faults", {"slowdown": 0.5}).status_code == 400
    assert admin(replica.url, "/admin/faults", {"typo": 1}).status_code == 400
    assert admin(replica.url, "/admin/model", {"version": "v9"}).status_code == 400


def test_injected_gpu_errors_oom_and_hot_swap(replica: Process) -> None:
    message = "CUDA error: uncorrectable ECC error encountered (Xid 48)"
    assert (
        admin(replica.url, "/admin/faults", {"error_rate": 1.0, "error_message": message}).status_code == 200
    )
    failed = httpx.post(f"{replica.url}/predict", json=baseline_body(seed=2))
    assert (failed.status_code, failed.json()["error"]) == (503, message)
    admin(replica.url, "/admin/faults", method="DELETE")
    admin(replica.url, "/admin/faults", {"oom_batch_size": 2})
    assert httpx.post(f"{replica.url}/predict", json=baseline_body(seed=3, rows=2)).status_code == 200
    oom = httpx.post(f"{replica.url}/predict", json=baseline_body(seed=3, rows=3))
    assert oom.status_code == 507 and "out of memory" in oom.json()["error"]
    admin(replica.url, "/admin/faults", method="DELETE")
    assert admin(replica.url, "/admin/model", {"version": "v2"}).json() == {"version": "v2", "previous": "v1"}
    assert httpx.post(f"{replica.url}/predict", json=baseline_body(seed=4)).headers["X-Model-Version"] == "v2"


def test_slowdown_multiplies_latency(replica: Process) -> None:
    bodies = [baseline_body(seed=s) for s in range(10)]
    send_requests(replica.url, bodies, concurrency=1)
    admin(replica.url, "/admin/faults", {"slowdown": 20})
    send_requests(replica.url, bodies, concurrency=1)
    total = latency_sum(replica.url)
    # 10 requests at ~3 ms plus 10 at ~60 ms: the slowed half dominates the sum.
    assert total > 10 * 0.050


def test_hang_stops_answers_until_cleared(replica: Process) -> None:
    admin(replica.url, "/admin/faults", {"hang": True})
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{replica.url}/readyz", timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{replica.url}/predict", json=baseline_body(seed=5), timeout=0.3)
    assert httpx.get(f"{replica.url}/healthz").status_code == 200
    admin(replica.url, "/admin/faults", method="DELETE")
    assert httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200


def test_readyz_false_during_warmup(stack: StackLauncher) -> None:
    warming = stack.model_servers([{"name": "gpu-w", "warmup": 30}])[0]
    assert httpx.get(f"{warming.url}/readyz").status_code == 503
    assert httpx.get(f"{warming.url}/healthz").status_code == 200


def test_a_cold_replica_is_unready_and_slow_until_warm(stack: StackLauncher) -> None:
    """A cold start: the first `warmup` seconds answer 503 on /readyz and predict `warmup_slowdown` times
    slower; then the replica is ready."""
    cold = stack.model_servers([{"name": "gpu-c", "warmup": 6, "warmup_slowdown": 20}])[0]
    assert httpx.get(f"{cold.url}/readyz").status_code == 503
    send_requests(cold.url, [baseline_body(seed=s) for s in range(10)], concurrency=1)
    assert latency_sum(cold.url) > 10 * 0.050  # 10 requests at ~60 ms rather than ~3 ms
    assert wait_until(lambda: httpx.get(f"{cold.url}/readyz").status_code == 200, 15.0)
    assert httpx.get(f"{cold.url}/info").json()["ready"] is True


def test_a_replica_with_one_slot_serves_one_batch_at_a_time(stack: StackLauncher) -> None:
    """`concurrency: 1`, like a GPU with one slot: 8 requests at once take 8 service times, queued in line;
    without the limit they are served side by side."""
    one_slot, unlimited = stack.model_servers(
        [
            {"name": "gpu-s", "base_latency_ms": 100, "concurrency": 1},
            {"name": "gpu-u", "base_latency_ms": 100},
        ]
    )
    bodies = [baseline_body(seed=s) for s in range(8)]
    timings = {}
    for replica in (one_slot, unlimited):
        started = time.perf_counter()
        assert all(r.status_code == 200 for r in send_requests(replica.url, bodies, concurrency=8))
        timings[replica.url] = time.perf_counter() - started
    assert timings[one_slot.url] >= 0.8 and timings[unlimited.url] < 0.4, timings
