"""Admission control: slots handed over in order and never leaked (in-process), then a real gateway in front
of a slowed replica, where a burst past max_in_flight + max_queue gets fast 503s while the admitted requests
succeed, a queued request that waits too long is shed, and without admission the same burst is all
admitted and slow."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from stack.admission import Admission
from stack.config import AdmissionConfig
from stack.gateway_counters import GatewayCounters
from tests.stack.conftest import StackLauncher, admin, baseline_body, pools, state

SERVICE_S = 1.2  # the replica's latency under the slowdown below (3 ms base latency x 400)
SLOWDOWN = 400


def _admission(**settings: Any) -> tuple[Admission, GatewayCounters]:
    counters = GatewayCounters()
    return Admission(AdmissionConfig(enabled=True, **settings), counters), counters


def test_slots_pass_to_waiters_in_arrival_order_and_a_full_queue_sheds() -> None:
    async def scenario() -> None:
        admission, counters = _admission(max_in_flight=1, max_queue=2, queue_timeout_ms=5000)
        order: list[str] = []

        async def request(name: str) -> None:
            if await admission.acquire():
                order.append(name)
                await asyncio.sleep(0)
                admission.release()

        assert await admission.acquire()
        waiting = [asyncio.create_task(request(name)) for name in ("a", "b")]
        await asyncio.sleep(0)
        assert (admission.in_flight, admission.queued) == (1, 2)
        assert not await admission.acquire() and counters.shed == 1  # queue full: shed at once
        admission.release()  # the slot goes to a, not to c, which arrives while a is being woken
        waiting.append(asyncio.create_task(request("c")))
        await asyncio.gather(*waiting)
        assert order == ["a", "b", "c"]
        assert (admission.in_flight, admission.queued, counters.shed) == (0, 0, 1)

    asyncio.run(scenario())


def test_queue_timeout_sheds_and_cancelled_waiters_leak_no_slot() -> None:
    async def scenario() -> None:
        admission, counters = _admission(max_in_flight=1, max_queue=4, queue_timeout_ms=50)
        assert await admission.acquire()
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert not await admission.acquire()
        assert loop.time() - started >= 0.05 and (admission.queued, counters.shed) == (0, 1)
        queued = asyncio.create_task(admission.acquire())
        await asyncio.sleep(0)
        queued.cancel()  # the client went away while queued
        with contextlib.suppress(asyncio.CancelledError):
            await queued
        assert admission.queued == 0
        handed = asyncio.create_task(admission.acquire())
        await asyncio.sleep(0)
        admission.release()  # the slot passes to the waiter...
        handed.cancel()  # ...which is cancelled before it runs: the slot must come back
        with contextlib.suppress(asyncio.CancelledError):
            await handed
        assert (admission.in_flight, admission.queued, counters.shed) == (0, 0, 1)

    asyncio.run(scenario())


def _slow_gateway(stack: StackLauncher, admission: dict[str, Any]) -> str:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    mechanisms = {
        "timeouts": {"attempt_ms": 10_000, "deadline_ms": 10_000},
        "retries": {"enabled": False},
        "admission": admission,
    }
    gateway = stack.gateway({"pools": pools(east=[replica]), "mechanisms": mechanisms})
    assert admin(replica.url, "/admin/faults", {"slowdown": SLOWDOWN}).status_code == 200
    return gateway.url


Seen = dict[str, Any]


async def _burst(url: str, size: int, while_full: bool = False) -> tuple[list[httpx.Response], Seen]:
    """`size` concurrent predictions; with `while_full`, once admission is full, its state section and the
    answer to an unparsable body (a 503: the decision comes before the body is read)."""
    async with httpx.AsyncClient(timeout=10) as client:
        posts = [client.post(f"{url}/predict", json=baseline_body(seed=i)) for i in range(size)]
        burst = [asyncio.create_task(post) for post in posts]
        seen: Seen = {}
        if while_full:
            for _ in range(100):
                seen = (await client.get(f"{url}/admin/state")).json()["admission"]
                if seen["queued"] == seen["limits"]["max_queue"]:
                    break
                await asyncio.sleep(0.01)
            junk = await client.post(f"{url}/predict", content=b"not json")
            seen["junk"] = (junk.status_code, junk.headers.get("X-Shed"))
        return list(await asyncio.gather(*burst)), seen


def test_burst_past_the_queue_is_shed_fast_while_admitted_requests_succeed(stack: StackLauncher) -> None:
    limits = {"max_in_flight": 4, "max_queue": 4, "queue_timeout_ms": 10_000, "retry_after_s": 2}
    url = _slow_gateway(stack, {"enabled": True, **limits})
    responses, while_full = asyncio.run(_burst(url, 24, while_full=True))
    assert (while_full["in_flight"], while_full["queued"], while_full["junk"]) == (4, 4, (503, "true"))
    served = [r for r in responses if r.status_code == 200]
    shed = [r for r in responses if r.status_code == 503]
    assert (len(served), len(shed)) == (8, 16)
    assert min(r.elapsed.total_seconds() for r in served) >= SERVICE_S * 0.9
    assert max(r.elapsed.total_seconds() for r in shed) < SERVICE_S / 2  # refused without waiting
    for response in shed:
        assert (response.headers["Retry-After"], response.headers["X-Shed"]) == ("2", "true")
        assert (response.headers["X-Served-By"], response.headers["X-Degraded"]) == ("none", "false")
        assert "shed" in response.json()["error"]  # not the fallback model: shedding is the point
    after = state(url)
    assert after["admission"] == {  # every slot given back; the unparsable body counts as shed too
        "enabled": True,
        "in_flight": 0,
        "queued": 0,
        "shed": 17,
        "limits": {"max_in_flight": 4, "max_queue": 4, "queue_timeout_ms": 10_000},
    }
    assert (after["counters"]["shed"], after["counters"]["degraded"]) == (17, 0)
    assert "chaosdrill_gateway_shed_total 17.0" in httpx.get(f"{url}/metrics").text


def test_request_queued_past_its_timeout_is_shed(stack: StackLauncher) -> None:
    url = _slow_gateway(stack, {"enabled": True, "max_in_flight": 1, "max_queue": 4, "queue_timeout_ms": 300})
    responses, _ = asyncio.run(_burst(url, 3))
    assert sorted(r.status_code for r in responses) == [200, 503, 503]
    waited = [r.elapsed.total_seconds() for r in responses if r.status_code == 503]
    assert all(0.3 <= seconds < SERVICE_S for seconds in waited)  # shed after the wait, before a slot freed
    assert {r.headers["X-Shed"] for r in responses if r.status_code == 503} == {"true"}
    assert state(url)["admission"]["shed"] == 2


def test_without_admission_the_burst_is_all_admitted_and_slow(stack: StackLauncher) -> None:
    url = _slow_gateway(stack, {"enabled": False, "max_in_flight": 4, "max_queue": 4})
    responses, _ = asyncio.run(_burst(url, 24))
    assert [r.status_code for r in responses] == [200] * 24
    assert min(r.elapsed.total_seconds() for r in responses) >= SERVICE_S * 0.9
    assert state(url)["admission"]["shed"] == 0
