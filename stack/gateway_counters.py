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

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def count_breaker_transition(self) -> None:
        self.breaker_transitions += 1

    def count_rollback(self) -> None:
        self.rollbacks += 1
