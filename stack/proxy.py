"""The gateway's attempt loop: per-attempt timeout inside an overall deadline, retries with exponential
backoff and full jitter on retryable failures only, each retry paid for from the retry budget."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from stack.canary import CanaryController
from stack.config import Mechanisms
from stack.gateway_counters import GatewayCounters
from stack.replicas import AttemptResult, ReplicaState
from stack.retry_budget import RetryBudget
from stack.routing import Router
from stack.upstream_client import UpstreamError, UpstreamPool


@dataclass
class ProxyOutcome:
    """What happened to one client request; `last` is the final attempt (None when none was made)."""

    last: AttemptResult | None = None
    attempts: int = 0
    deadline_exceeded: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.last is not None and not self.last.failed


class Proxy:
    def __init__(
        self,
        mechanisms: Mechanisms,
        upstream: UpstreamPool,
        router: Router,
        budget: RetryBudget,
        canary: CanaryController,
        counters: GatewayCounters,
    ) -> None:
        self._mechanisms = mechanisms
        self._upstream = upstream
        self._router = router
        self._budget = budget
        self._canary = canary
        self._counters = counters

    @property
    def _max_attempts(self) -> int:
        retries = self._mechanisms.retries
        return retries.max_attempts if retries.enabled else 1

    def _backoff_s(self, retry_number: int) -> float:
        retries = self._mechanisms.retries
        cap = min(retries.backoff_max_ms, retries.backoff_base_ms * 2 ** (retry_number - 1))
        return random.uniform(0, cap) / 1000

    async def forward(self, body: bytes, to_canary: bool) -> ProxyOutcome:
        timeouts = self._mechanisms.timeouts
        deadline = time.monotonic() + timeouts.deadline_ms / 1000
        self._budget.record_request()
        outcome = ProxyOutcome()
        tried: list[ReplicaState] = []
        while outcome.attempts < self._max_attempts:
            if outcome.attempts:
                if outcome.last is not None and not outcome.last.retryable:
                    break
                if not self._budget.try_acquire():
                    self._counters.retries_denied_by_budget += 1
                    break
                pause = self._backoff_s(outcome.attempts)
                if time.monotonic() + pause >= deadline:
                    outcome.deadline_exceeded = True
                    break
                await asyncio.sleep(pause)
                self._counters.retries += 1
            replica = self._router.pick(to_canary, tried)
            if replica is None:
                outcome.errors.append("no replica available (all unhealthy, ejected or circuit-open)")
                break
            if self._router.is_failover(replica, tried):
                self._counters.failovers += 1
            remaining = deadline - time.monotonic()
            attempt_s = timeouts.attempt_ms / 1000
            result = await self._attempt(replica, body, min(attempt_s, remaining))
            outcome.attempts += 1
            outcome.last = result
            tried.append(replica)
            replica.record_attempt(result)
            self._canary.record(result)
            if result.error:
                outcome.errors.append(f"{replica.name}: {result.error}")
                outcome.deadline_exceeded = result.timed_out and remaining <= attempt_s
            if not result.failed:
                break
        return outcome

    async def _attempt(self, replica: ReplicaState, body: bytes, timeout_s: float) -> AttemptResult:
        replica.breaker.on_attempt()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._upstream.post(replica.config.url, "/predict", body)
        except TimeoutError:
            error = f"attempt timed out after {timeout_s * 1000:.0f} ms"
            return AttemptResult(replica, None, b"", {}, error, time.perf_counter() - started, timed_out=True)
        except UpstreamError as exc:
            return AttemptResult(replica, None, b"", {}, str(exc), time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        return AttemptResult(replica, response.status, response.body, response.headers, None, elapsed)
