"""Canary deployment and automated canary analysis.

Deploying loads the candidate version onto the dedicated canary replicas (their /admin/model) and sends
`weight` of the traffic there. Analysis compares canary vs stable attempts over a sliding window — error
rate delta and median-latency ratio, once both sides have `min_requests`, then the divergence of their
prediction scores — and rolls back on its own, restoring the versions the canary replicas served before
the deploy.

Score divergence needs no labels: canary and stable see the same traffic mix, so a candidate whose scores
are distributed differently answers differently. PSI against v1 on stable over baseline rows, 200 canary
and 800 stable scores a window (3000 windows each; median, and share of windows above 0.3): v2 0.06, 0%;
v2-miscalibrated 0.56, 99.6%; v2-inverted 3.0, 100%; v2-swapped 8.0, 100%. v2-stale (0.20, 10%) and
v2-flip20 (0.21, 14%) move the scores too little to be told from noise reliably — with 1000 canary
scores, never (0.16 and 0.17, 0%): catching them takes labels.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import numpy as np

from stack.config import CanaryAnalysisConfig
from stack.drift import psi
from stack.model import finite_number
from stack.replicas import AttemptResult, ReplicaState

CanaryStatus = Literal["none", "active", "rolled_back", "promoted"]


class CanaryError(Exception):
    """A canary operation failed; `status` is what the admin API answers (502: a replica refused or was
    unreachable; 409: the operation does not fit the current canary status)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


_SCORE_BINS = np.linspace(0.0, 1.0, 11)
_PSEUDO_COUNT = 0.5


@dataclass
class _Sample:
    at: float
    canary: bool
    failed: bool
    latency_s: float
    scores: list[float]
    """The answer's predictions; empty unless score divergence is analysed and the attempt answered 200."""


def _summary(samples: list[_Sample]) -> tuple[float, float]:
    errors = sum(s.failed for s in samples) / len(samples)
    ok = [s.latency_s for s in samples if not s.failed]
    return errors, statistics.median(ok) if ok else float("inf")


def prediction_scores(body: bytes) -> list[float]:
    """The scores in a replica's JSON answer (`predictions`); none for an answer that has no such list."""
    try:
        predictions = json.loads(body).get("predictions")
    except (ValueError, AttributeError, RecursionError):
        return []
    if not isinstance(predictions, list):
        return []
    return [score for p in predictions if (score := finite_number(p)) is not None]


def score_psi(canary: list[float], stable: list[float]) -> float:
    """PSI between two samples of scores over fixed bins on [0, 1]. Half a pseudo-count per bin (rather
    than flooring empty bins' proportions) keeps a bin that one side happens not to hit from dominating
    the index at a few hundred scores."""

    def proportions(scores: list[float]) -> np.ndarray:
        counts, _ = np.histogram(np.clip(scores, 0.0, 1.0), bins=_SCORE_BINS)
        return (counts + _PSEUDO_COUNT) / (len(scores) + _PSEUDO_COUNT * len(counts))

    return psi(proportions(stable), proportions(canary))


class CanaryController:
    def __init__(
        self,
        config: CanaryAnalysisConfig,
        canary: list[ReplicaState],
        stable: list[ReplicaState],
        client: httpx.AsyncClient,
        admin_token: str | None,
        on_rollback: Callable[[], None],
    ) -> None:
        self._config = config
        self._canary = canary
        self._stable = stable
        self._client = client
        self._token = admin_token
        self._on_rollback = on_rollback
        self.version: str | None = None
        self.weight = 0.0
        self.status: CanaryStatus = "none"
        self.deployed_at: float | None = None
        self.rolled_back_at: float | None = None
        self.reason: str | None = None
        self._previous: dict[str, str] = {}
        self._samples: deque[_Sample] = deque()
        self.score_psi: float | None = None

    def route_to_canary(self) -> bool:
        return self.status == "active" and random.random() < self.weight

    def record(self, result: AttemptResult) -> None:
        if self.status == "active":
            is_canary = result.replica.group == "canary"
            analysed = self._config.enabled and self._config.score_divergence and result.status == 200
            scores = prediction_scores(result.body) if analysed else []
            sample = _Sample(time.monotonic(), is_canary, result.failed, result.latency_s, scores)
            self._samples.append(sample)

    async def _set_version(self, replica: ReplicaState, version: str) -> str:
        """Load `version` on a replica and return the version it served before."""
        try:
            response = await self._client.post(
                f"{replica.config.url}/admin/model",
                json={"version": version},
                headers={"X-Admin-Token": self._token or ""},
                timeout=5.0,
            )
        except httpx.HTTPError as exc:
            raise CanaryError(f"replica {replica.name} unreachable: {exc!r}") from None
        if response.status_code != 200:
            raise CanaryError(f"replica {replica.name} refused version {version!r}: {response.text}")
        replica.version = version
        return str(response.json()["previous"])

    async def deploy(self, version: str, weight: float) -> None:
        if not self._canary:
            raise CanaryError("no canary_replicas are configured", status=409)
        previous = {r.name: await self._set_version(r, version) for r in self._canary}
        if self.status != "active":
            self._previous = previous
        self.version, self.weight, self.status = version, weight, "active"
        self.deployed_at, self.rolled_back_at, self.reason = time.time(), None, None
        self._samples.clear()
        self.score_psi = None

    async def promote(self) -> None:
        if self.status != "active" or self.version is None:
            raise CanaryError(f"no active canary to promote (status {self.status})", status=409)
        for replica in self._stable:
            await self._set_version(replica, self.version)
        self.status, self.weight = "promoted", 0.0

    async def rollback(self, reason: str) -> None:
        if self.status != "active":
            raise CanaryError(f"no active canary to roll back (status {self.status})", status=409)
        self.status, self.weight = "rolled_back", 0.0
        self.rolled_back_at, self.reason = time.time(), reason
        self._on_rollback()
        for replica in self._canary:
            await self._set_version(replica, self._previous.get(replica.name, "v1"))

    def verdict(self) -> str | None:
        """Reason to roll back, or None while the canary looks as good as stable (or data is too thin)."""
        horizon = time.monotonic() - self._config.window_ms / 1000
        while self._samples and self._samples[0].at < horizon:
            self._samples.popleft()
        canary = [s for s in self._samples if s.canary]
        stable = [s for s in self._samples if not s.canary]
        if min(len(canary), len(stable)) < self._config.min_requests:
            return None
        (canary_errors, canary_p50), (stable_errors, stable_p50) = _summary(canary), _summary(stable)
        if canary_errors - stable_errors > self._config.max_error_rate_delta:
            return f"error rate {canary_errors:.1%} vs stable {stable_errors:.1%} over {len(canary)} requests"
        if canary_p50 > self._config.max_latency_ratio * stable_p50:
            return f"median latency {canary_p50 * 1000:.1f} ms vs stable {stable_p50 * 1000:.1f} ms"
        return self._score_verdict(canary, stable) if self._config.score_divergence else None

    def _score_verdict(self, canary: list[_Sample], stable: list[_Sample]) -> str | None:
        canary_scores = [score for sample in canary for score in sample.scores]
        stable_scores = [score for sample in stable for score in sample.scores]
        if min(len(canary_scores), len(stable_scores)) < self._config.min_scores:
            return None
        self.score_psi = score_psi(canary_scores, stable_scores)
        if self.score_psi <= self._config.max_score_psi:
            return None
        answers = sum(bool(sample.scores) for sample in canary)
        divergence = f"PSI {self.score_psi:.2f} over {answers} canary answers"
        return f"prediction scores diverge from stable: {divergence}"

    async def run_analysis(self) -> None:
        while True:
            await asyncio.sleep(self._config.interval_ms / 1000)
            if self._config.enabled and self.status == "active" and (reason := self.verdict()):
                # The rollback is recorded before the replicas are restored; a replica that cannot be
                # restored right now gets no traffic anyway, since the canary weight is already 0.
                with contextlib.suppress(CanaryError):
                    await self.rollback(f"automated analysis: {reason}")

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "weight": self.weight,
            "status": self.status,
            "deployed_at": self.deployed_at,
            "rolled_back_at": self.rolled_back_at,
            "reason": self.reason,
            "score_psi": self.score_psi,
        }
