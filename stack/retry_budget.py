"""Retry budget: retries over a sliding window may not exceed `ratio * requests + min_per_second * window`.

Per-request retry limits alone multiply load by max_attempts during an outage (a retry storm); the
budget caps the extra load at a fixed fraction of real traffic, like Envoy's retry_budget / Finagle.
"""

from __future__ import annotations

import time
from collections import deque

from stack.config import RetryBudgetConfig


class RetryBudget:
    def __init__(self, config: RetryBudgetConfig) -> None:
        self._config = config
        self._window_s = config.window_ms / 1000
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def _prune(self, now: float) -> None:
        horizon = now - self._window_s
        for stamps in (self._requests, self._retries):
            while stamps and stamps[0] < horizon:
                stamps.popleft()

    def record_request(self) -> None:
        if self._config.enabled:
            self._requests.append(time.monotonic())

    def try_acquire(self) -> bool:
        """True (and the retry is counted) when one more retry fits in the budget."""
        if not self._config.enabled:
            return True
        now = time.monotonic()
        self._prune(now)
        allowed = self._config.ratio * len(self._requests) + self._config.min_per_second * self._window_s
        if len(self._retries) >= allowed:
            return False
        self._retries.append(now)
        return True
