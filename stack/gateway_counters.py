"""Gateway event counters, shared by /admin/state and /metrics so both always agree."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class GatewayCounters:
    requests: int = 0
    retries: int = 0
    retries_denied_by_budget: int = 0
    failovers: int = 0
    breaker_transitions: int = 0
    rollbacks: int = 0
    degraded: int = 0
    shed: int = 0
    """Requests refused by admission control (503): queue full, or waited too long for a slot."""
    rate_limited: int = 0
    """Requests refused by a client's rate limit (429)."""
    rate_limit_evictions: int = 0
    """Clients' buckets forgotten to keep at most rate_limit.max_clients."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def count_breaker_transition(self) -> None:
        self.breaker_transitions += 1

    def count_rollback(self) -> None:
        self.rollbacks += 1
