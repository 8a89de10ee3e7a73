"""Per-replica circuit breaker: closed → open after N consecutive failures → half-open after the cooldown
(one probe at a time) → closed on the probe's success, open again on its failure.

The open → half-open step happens lazily when the state is read, so a breaker that nobody routes to
still reports half-open once its cooldown is over (what a drill observes in /admin/state).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from stack.config import CircuitBreakerConfig

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(self, config: CircuitBreakerConfig, on_transition: Callable[[], None]) -> None:
        self._config = config
        self._on_transition = on_transition
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and time.monotonic() - self._opened_at >= self._config.cooldown_ms / 1000:
            self._move_to("half_open")
        return self._state

    def allows_traffic(self) -> bool:
        if not self._config.enabled:
            return True
        state = self.state
        return state == "closed" or (state == "half_open" and not self._probe_in_flight)

    def on_attempt(self) -> None:
        """Called when an attempt is really sent; in half-open it claims the single probe slot."""
        if self._config.enabled and self.state == "half_open":
            self._probe_in_flight = True

    def record(self, success: bool) -> None:
        if not self._config.enabled:
            return
        self._probe_in_flight = False
        if success:
            self._failures = 0
            if self._state != "closed":
                self._move_to("closed")
            return
        self._failures += 1
        tripped = self._state == "closed" and self._failures >= self._config.failure_threshold
        if tripped or self._state == "half_open":
            self._opened_at = time.monotonic()
            self._move_to("open")

    def _move_to(self, state: BreakerState) -> None:
        self._state = state
        self._on_transition()
