"""Replica selection: round-robin, health-aware with failover on, deliberately naive with it off.

Failover off reproduces a plain L7 load balancer: round-robin over ALL configured replicas of the pool
whatever their health, and every retry of a request goes back to the replica first picked — so a killed
replica surfaces as client errors. Failover on routes only to available replicas (healthy, not ejected,
breaker letting traffic through), sends retries to a replica not yet tried, and spills over to the other
regions' pools when the primary region has none left.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from stack.replicas import ReplicaState


class Router:
    def __init__(
        self,
        pools: dict[str, list[ReplicaState]],
        primary_region: str,
        canary: list[ReplicaState],
        failover: bool,
    ) -> None:
        self._pools = pools
        self._region_order = [primary_region] + [r for r in pools if r != primary_region]
        self._canary = canary
        self._failover = failover
        self._turns: dict[str, Iterator[int]] = {key: itertools.count() for key in [*pools, "canary"]}

    def _round_robin(self, key: str, replicas: Sequence[ReplicaState]) -> ReplicaState | None:
        return replicas[next(self._turns[key]) % len(replicas)] if replicas else None

    def pick(self, to_canary: bool, tried: Sequence[ReplicaState]) -> ReplicaState | None:
        """Replica for the next attempt of a request, or None when nothing may be tried."""
        if not self._failover:
            return self._pick_sticky(to_canary, tried)
        if to_canary and not tried:
            chosen = self._round_robin("canary", [r for r in self._canary if r.available()])
            if chosen is not None:
                return chosen
        for fresh_only in (True, False):
            for region in self._region_order:
                candidates = [
                    r for r in self._pools[region] if r.available() and not (fresh_only and r in tried)
                ]
                chosen = self._round_robin(region, candidates)
                if chosen is not None:
                    return chosen
        return None

    def _pick_sticky(self, to_canary: bool, tried: Sequence[ReplicaState]) -> ReplicaState | None:
        if tried:
            chosen = tried[0]
        elif to_canary and self._canary:
            chosen = self._round_robin("canary", self._canary)
        else:
            chosen = self._round_robin(self._region_order[0], self._pools[self._region_order[0]])
        return chosen if chosen is not None and chosen.breaker.allows_traffic() else None

    def is_failover(self, chosen: ReplicaState, tried: Sequence[ReplicaState]) -> bool:
        """An attempt counts as a failover when it leaves the primary region or moves to another replica."""
        moved = bool(tried) and chosen is not tried[-1]
        return moved or (chosen.group == "stable" and chosen.region != self._region_order[0])
