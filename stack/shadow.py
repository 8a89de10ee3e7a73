"""Shadow deployment: a candidate version gets a copy of `share` of the answered requests, and its answers
are compared with the ones users got, while users only ever see stable's.

The shadow runs on the canary replicas (loaded through their /admin/model, as a canary deploy does), so a
shadow and a canary never run at once. Mirroring is fire-and-forget: the copy is sent after stable has
answered, in a task of its own with its own timeout, and at most `max_in_flight` copies are in flight —
beyond that a request is not mirrored (counted as dropped) rather than queued, so a slow or hung shadow
costs the gateway a bounded number of tasks and connections, never the user's answer. Its errors, timeouts
and latency are only counted. `blocking: true` makes the gateway await the copy before answering: the
misconfiguration drills use to show what a shadow in the user path does.

Per mirrored request that both answered, the shadow's scores are compared row by row with the ones the
user got: agreement of the class at 0.5 and the mean absolute score difference (over rows, since the
shadow started). Against v1 on baseline rows, v2 (and v2-bad, its weights) agrees on about 98% (mean
absolute difference 0.027), v2-inverted on about 2% (0.57).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import deque
from typing import Any, Literal

import numpy as np

from stack.answers import prediction_scores
from stack.canary import CanaryController, CanaryError
from stack.config import ShadowConfig
from stack.replicas import ReplicaState
from stack.upstream_client import UpstreamError, UpstreamPool

ShadowStatus = Literal["none", "active", "stopped"]
LATENCIES_KEPT = 10_000
"""The shadow's latest answer times its percentiles are taken over."""


class ShadowError(CanaryError):
    """A shadow operation does not fit the gateway's state; the admin API answers it like a canary error."""


class ShadowController:
    def __init__(
        self,
        config: ShadowConfig,
        hosts: list[ReplicaState],
        upstream: UpstreamPool,
        canary: CanaryController,
    ) -> None:
        self._config = config
        self._hosts = hosts
        self._upstream = upstream
        self._canary = canary
        self._turns = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._previous: dict[str, str] = {}
        self.version: str | None = None
        self.share = 0.0
        self.status: ShadowStatus = "none"
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self._reset()

    def _reset(self) -> None:
        self.mirrored = self.dropped = self.errors = self.timeouts = self.unmatched = 0
        self.rows_compared = self.rows_agreeing = 0
        self._abs_diff_sum = 0.0
        self._latencies: deque[float] = deque(maxlen=LATENCIES_KEPT)

    @property
    def active(self) -> bool:
        return self.status == "active"

    async def deploy(self, version: str, share: float) -> None:
        if not self._hosts:
            raise ShadowError("no canary_replicas are configured to host a shadow", status=409)
        if self.active:
            raise ShadowError(f"a shadow of {self.version} is running; stop it first", status=409)
        if self._canary.status == "active":
            raise ShadowError(f"canary {self._canary.version} holds the canary replicas", status=409)
        # The canary's loader: a shadow changes the canary replicas exactly as a canary deploy would.
        self._previous = {r.name: await self._canary.load_version(r, version) for r in self._hosts}
        self._reset()
        self.version, self.share, self.status = version, share, "active"
        self.started_at, self.stopped_at = time.time(), None

    async def stop(self) -> None:
        if not self.active:
            raise ShadowError(f"no shadow to stop (status {self.status})", status=409)
        self.status, self.stopped_at = "stopped", time.time()
        await self.cancel_in_flight()
        for replica in self._hosts:
            await self._canary.load_version(replica, self._previous.get(replica.name, "v1"))

    async def cancel_in_flight(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def mirror(self, body: bytes, answer: bytes) -> None:
        """Copy a request the user got `answer` to, if it falls in the share; returns at once unless the
        gateway is (mis)configured to block on the shadow."""
        if not self.active or random.random() >= self.share:
            return
        if len(self._tasks) >= self._config.max_in_flight:
            self.dropped += 1
            return
        self.mirrored += 1
        host = self._hosts[next(self._turns) % len(self._hosts)]
        task = asyncio.create_task(self._shadow(host, body, answer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._config.blocking:
            await asyncio.wait([task])  # a copy cancelled by a stop must not fail the user's request

    async def _shadow(self, host: ReplicaState, body: bytes, answer: bytes) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._config.timeout_ms / 1000):
                response = await self._upstream.post(host.config.url, "/predict", body)
        except TimeoutError:
            self.timeouts += 1
            return
        except UpstreamError:
            self.errors += 1
            return
        self._latencies.append(time.perf_counter() - started)
        if response.status != 200:
            self.errors += 1
            return
        self._compare(prediction_scores(answer), prediction_scores(response.body))

    def _compare(self, stable: list[float], shadow: list[float]) -> None:
        if not stable or len(stable) != len(shadow):
            self.unmatched += 1
            return
        self.rows_compared += len(stable)
        self.rows_agreeing += sum((s >= 0.5) == (t >= 0.5) for s, t in zip(stable, shadow, strict=True))
        self._abs_diff_sum += sum(abs(s - t) for s, t in zip(stable, shadow, strict=True))

    def describe(self) -> dict[str, Any]:
        compared = self.rows_compared
        p50, p99 = np.percentile(self._latencies, [50, 99]) * 1000 if self._latencies else (None, None)
        return {
            "version": self.version,
            "share": self.share,
            "status": self.status,
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
            "mirrored": self.mirrored,
            "dropped": self.dropped,
            "in_flight": len(self._tasks),
            "errors": self.errors,
            "timeouts": self.timeouts,
            "unmatched": self.unmatched,
            "rows_compared": compared,
            "agreement": self.rows_agreeing / compared if compared else None,
            "mean_abs_diff": self._abs_diff_sum / compared if compared else None,
            "p50_ms": None if p50 is None else float(p50),
            "p99_ms": None if p99 is None else float(p99),
        }
