"""Admission control: a bounded number of requests in flight, a bounded FIFO queue with a wait limit, and
everything else shed at once.

Past its capacity a server that accepts every request makes every request slow (queueing delay grows
without bound, and clients time out on answers that were computed anyway); bounding the work in flight
keeps the admitted requests at their normal latency and turns the excess into cheap, immediate 503s that
clients can back off from. The queue absorbs short bursts; its wait limit sheds a request that would
otherwise spend its deadline waiting. The gateway runs on one event loop, so plain counters need no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

from stack.config import AdmissionConfig
from stack.gateway_counters import GatewayCounters


class Admission:
    """Slots for `max_in_flight` requests; `acquire` waits in line for one (or is refused), `release` hands
    a freed slot straight to the oldest waiter, so a queued request is never overtaken by a newcomer."""

    def __init__(self, config: AdmissionConfig, counters: GatewayCounters) -> None:
        self.config = config
        self._counters = counters
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[bool]] = deque()

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def queued(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> bool:
        """True with a slot held (the caller must `release` it); False when the request is to be shed:
        the queue is full, or no slot freed up within `queue_timeout_ms` (counted as `shed`)."""
        if self.in_flight < self.config.max_in_flight and not self._waiters:
            self.in_flight += 1
            return True
        if len(self._waiters) >= self.config.max_queue:
            self._counters.shed += 1
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.config.queue_timeout_ms / 1000, self._expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            # Cancelled while queued: leave the queue; cancelled just after a slot was handed over: give
            # it back, or it would be lost for good.
            if waiter.cancelled():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            elif waiter.result():
                self.release()
            raise
        finally:
            timer.cancel()

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)  # the slot passes on; in_flight stays the same
                return
        self.in_flight -= 1

    def _expire(self, waiter: asyncio.Future[bool]) -> None:
        if not waiter.done():
            self._waiters.remove(waiter)
            self._counters.shed += 1
            waiter.set_result(False)

    def describe(self) -> dict[str, Any]:
        config = self.config
        return {
            "enabled": config.enabled,
            "in_flight": self.in_flight,
            "queued": self.queued,
            "shed": self._counters.shed,
            "limits": {
                "max_in_flight": config.max_in_flight,
                "max_queue": config.max_queue,
                "queue_timeout_ms": config.queue_timeout_ms,
            },
        }
