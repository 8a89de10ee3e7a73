"""Per-client rate limiting: a token bucket per client, the least recently seen clients forgotten first.

Admission control protects the stack from too much load in total, but not one client from another: a
single runaway client (a retry loop, a batch job) would take every slot and have everyone else shed. A
bucket per client caps each client's sustained rate at `requests_per_s` and still lets it burst up to
`burst` requests. Buckets are refilled lazily from the time of their last use, so an idle client costs
nothing but its entry, and the entries are capped (LRU) so that many distinct client ids cannot grow the
gateway's memory without bound.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers

from stack.config import RateLimitConfig
from stack.gateway_counters import GatewayCounters

ANONYMOUS = "anonymous"


class RateLimiter:
    """Token buckets keyed by client; `clock` (seconds, monotonic) is injectable for tests."""

    def __init__(
        self, config: RateLimitConfig, counters: GatewayCounters, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._counters = counters
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client: (tokens, updated at)

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @property
    def clients(self) -> int:
        return len(self._buckets)

    def client(self, headers: Headers) -> str:
        return headers.get(self.config.client_header) or ANONYMOUS

    def take(self, client: str) -> float:
        """Take a token from `client`'s bucket: 0.0 when there was one, else the seconds until there is."""
        config = self.config
        now = self._clock()
        tokens, updated = self._buckets.pop(client, (float(config.burst), now))
        tokens = min(float(config.burst), tokens + (now - updated) * config.requests_per_s)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / config.requests_per_s
            self._counters.rate_limited += 1
        self._buckets[client] = (tokens, now)  # re-inserted last: the most recently used
        if len(self._buckets) > config.max_clients:
            self._buckets.popitem(last=False)
            self._counters.rate_limit_evictions += 1
        return wait

    @staticmethod
    def retry_after_s(wait: float) -> int:
        """Retry-After takes whole seconds: rounded up, so a client that honours it finds a token."""
        return max(1, math.ceil(wait))

    def describe(self) -> dict[str, Any]:
        config = self.config
        return {
            "enabled": config.enabled,
            "clients": self.clients,
            "limited": self._counters.rate_limited,
            "evicted": self._counters.rate_limit_evictions,
            "limits": {
                "client_header": config.client_header,
                "requests_per_s": config.requests_per_s,
                "burst": config.burst,
                "max_clients": config.max_clients,
            },
        }
