"""Per-client rate limiting: token-bucket math on a fake clock, then a real gateway where one client over
its rate gets 429s with an honest Retry-After while another client is served, and buckets stay capped."""

from __future__ import annotations

import time

import httpx
import pytest

from stack.config import RateLimitConfig
from stack.gateway_counters import GatewayCounters
from stack.rate_limit import RateLimiter
from tests.stack.conftest import StackLauncher, baseline_body, pools, state


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _limiter(**settings: float) -> tuple[RateLimiter, FakeClock, GatewayCounters]:
    clock, counters = FakeClock(), GatewayCounters()
    config = RateLimitConfig.model_validate({"enabled": True, **settings})
    return RateLimiter(config, counters, clock), clock, counters


def test_bucket_allows_a_burst_then_the_rate() -> None:
    limiter, clock, counters = _limiter(requests_per_s=2, burst=3)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)  # empty: one token every 0.5 s
    clock.now += 0.25
    assert limiter.take("a") == pytest.approx(0.25)  # half a token refilled; refusals take nothing
    clock.now += 0.25
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 60  # a long idle refills to `burst`, no further
    assert [limiter.take("a") for _ in range(4)][-2:] == [0.0, pytest.approx(0.5)]
    assert counters.rate_limited == 4
    assert limiter.take("b") == 0.0  # every client has its own bucket


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert [RateLimiter.retry_after_s(w) for w in (1e-9, 0.5, 1.0, 1.01, 9.5)] == [1, 1, 1, 2, 10]
    limiter, _, _ = _limiter(requests_per_s=0.1, burst=1)
    limiter.take("slow")
    assert RateLimiter.retry_after_s(limiter.take("slow")) == 10


def test_buckets_are_capped_least_recently_used_first() -> None:
    limiter, _, counters = _limiter(requests_per_s=1, burst=1, max_clients=2)
    limiter.take("a")
    limiter.take("b")
    assert limiter.take("a") > 0  # a used again: b is now the least recently used
    limiter.take("c")
    assert (limiter.clients, counters.rate_limit_evictions) == (2, 1)
    assert limiter.take("a") > 0  # a was kept, still empty
    assert limiter.take("b") == 0.0  # b was forgotten: back with a full bucket


def _gateway(stack: StackLauncher, rate_limit: dict[str, object]) -> str:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    mechanisms = {"rate_limit": {"enabled": True, **rate_limit}}
    return stack.gateway({"pools": pools(east=[replica]), "mechanisms": mechanisms}).url


def _post(client: httpx.Client, url: str, client_id: str | None) -> httpx.Response:
    headers = {"X-Client-Id": client_id} if client_id else {}
    return client.post(f"{url}/predict", json=baseline_body(seed=0), headers=headers)


def test_client_over_its_rate_gets_429_and_others_are_served(stack: StackLauncher) -> None:
    url = _gateway(stack, {"requests_per_s": 0.5, "burst": 3})
    with httpx.Client(timeout=5) as client:
        noisy = [_post(client, url, "noisy") for _ in range(8)]
        assert [r.status_code for r in noisy] == [200] * 3 + [429] * 5
        refused = noisy[3:]
        assert {
            (r.headers["X-Shed"], r.headers["X-Served-By"], r.headers["X-Attempts"]) for r in refused
        } == {("true", "none", "0")}
        retry_after = {int(r.headers["Retry-After"]) for r in refused}
        assert retry_after <= {1, 2} and "rate limit" in refused[0].json()["error"]  # a token every 2 s
        assert [_post(client, url, "quiet").status_code for _ in range(3)] == [200] * 3
        assert [_post(client, url, None).status_code for _ in range(4)] == [200] * 3 + [429]  # anonymous
        time.sleep(max(retry_after))
        assert _post(client, url, "noisy").status_code == 200  # Retry-After was honest
    section = state(url)["rate_limit"]
    assert (section["clients"], section["limited"]) == (3, 6)
    assert state(url)["counters"]["rate_limited"] == 6


def test_rate_limit_buckets_are_capped(stack: StackLauncher) -> None:
    url = _gateway(stack, {"requests_per_s": 100, "burst": 100, "max_clients": 3})
    with httpx.Client(timeout=5) as client:
        assert {_post(client, url, f"client-{i}").status_code for i in range(10)} == {200}
    section = state(url)["rate_limit"]
    assert (section["clients"], section["evicted"], section["limits"]["max_clients"]) == (3, 7, 3)
    metrics = httpx.get(f"{url}/metrics").text
    assert "chaosdrill_gateway_rate_limit_clients 3.0" in metrics
    assert "chaosdrill_gateway_rate_limit_evictions_total 7.0" in metrics
