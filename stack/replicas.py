"""Runtime state of one upstream replica: active health, passive outlier ejection and its breaker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stack.breaker import CircuitBreaker
from stack.config import Mechanisms, ReplicaConfig


@dataclass
class AttemptResult:
    """Outcome of one upstream attempt; `status` is None when no HTTP answer came (connect/reset/timeout)."""

    replica: ReplicaState
    status: int | None
    body: bytes
    headers: dict[str, str]
    error: str | None
    latency_s: float
    timed_out: bool = False

    @property
    def failed(self) -> bool:
        """5xx and transport errors count against breakers, ejection and canary analysis; 4xx never do."""
        return self.status is None or self.status >= 500

    @property
    def retryable(self) -> bool:
        """Transport errors and 502/503/504. A 500 (deterministic model error) and 507 (OOM for this batch)
        are not retried: repeating them elsewhere mostly doubles load for the same answer."""
        return self.status is None or self.status in (502, 503, 504)


class ReplicaState:
    def __init__(
        self,
        config: ReplicaConfig,
        region: str,
        group: str,
        mechanisms: Mechanisms,
        on_transition: Callable[[], None],
    ) -> None:
        self.config = config
        self.name = config.name
        self.region = region
        self.group = group
        self.version: str | None = None
        self._mechanisms = mechanisms
        self.breaker = CircuitBreaker(mechanisms.circuit_breaker, on_transition)
        self._healthy = True
        self._check_streak = 0
        self._consecutive_errors = 0
        self._ejected_until = 0.0

    @property
    def healthy(self) -> bool:
        return self._healthy or not self._mechanisms.health_checks.enabled

    @property
    def ejected(self) -> bool:
        return self._mechanisms.outlier_ejection.enabled and time.monotonic() < self._ejected_until

    def available(self) -> bool:
        return self.healthy and not self.ejected and self.breaker.allows_traffic()

    def record_health_check(self, ok: bool) -> None:
        """Flip health only after `healthy_threshold`/`unhealthy_threshold` agreeing checks in a row."""
        config = self._mechanisms.health_checks
        if ok == self._healthy:
            self._check_streak = 0
            return
        self._check_streak += 1
        if self._check_streak >= (config.healthy_threshold if ok else config.unhealthy_threshold):
            self._healthy = ok
            self._check_streak = 0

    def record_attempt(self, result: AttemptResult) -> None:
        self.breaker.record(not result.failed)
        version = result.headers.get("x-model-version")
        if version:
            self.version = version
        if not result.failed:
            self._consecutive_errors = 0
            return
        self._consecutive_errors += 1
        config = self._mechanisms.outlier_ejection
        if config.enabled and self._consecutive_errors >= config.consecutive_errors:
            self._ejected_until = time.monotonic() + config.ejection_ms / 1000
            self._consecutive_errors = 0

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "group": self.group,
            "url": self.config.url,
            "labels": self.config.labels,
            "healthy": self.healthy,
            "breaker": self.breaker.state,
            "ejected": self.ejected,
            "version": self.version,
        }
