"""Canary deployment and automated canary analysis.

Deploying loads the candidate version onto the dedicated canary replicas (their /admin/model) and sends
`weight` of the traffic there. Analysis compares canary vs stable attempts over a sliding window — error
rate delta and median-latency ratio, once both sides have `min_requests`, then the divergence of their
prediction scores — and rolls back on its own, restoring the versions the canary replicas served before
the deploy.

A blue-green switch uses the same canary replicas as the idle colour, green (the stable pool is blue): it
loads the candidate there, waits until every green replica answers ready with it, then sends all traffic
to green at once (weight 1.0), so no request reaches a half-loaded colour. With all traffic on green there
is no stable side to compare with on the same traffic, so green is held to blue's own answers from the
analysis window before the switch: errors, median latency and scores, with the canary's thresholds. With
too few blue answers before the switch only green's error rate is judged, against none. Rolling back is
switching back: the weight drops to 0 and blue, which was never touched, takes all traffic again.

Score divergence needs no labels: canary and stable see the same traffic mix, so a candidate whose scores
are distributed differently answers differently. PSI against v1 on stable over baseline rows, 200 canary
and 800 stable scores a window (3000 windows each; median, and share of windows above 0.3): v2 0.06, 0%;
v2-miscalibrated 0.56, 99.6%; v2-inverted 3.0, 100%; v2-swapped 8.0, 100%. v2-stale (0.20, 10%) and
v2-flip20 (0.21, 14%) move the scores too little to be told from noise reliably — with 1000 canary
scores, never (0.16 and 0.17, 0%): catching them takes labels. Labels posted late to `/feedback`
(stack/label_feedback.py) are the last check: the accuracy of the candidate's labelled rows against the
stable side's over the same window.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import numpy as np

from stack.answers import prediction_scores
from stack.config import CanaryAnalysisConfig
from stack.drift import psi
from stack.label_feedback import LabelledAnswer, accuracy
from stack.replicas import AttemptResult, ReplicaState

CanaryStatus = Literal["none", "active", "rolled_back", "promoted"]
RolloutMode = Literal["canary", "blue-green"]
_READY_POLL_S = 0.05
Names = tuple[str, str]
"""What the analysis calls the candidate and what it is compared with, in its reasons."""


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
    """Error rate and median latency of the answers; none at all: no errors, and no latency to compare."""
    if not samples:
        return 0.0, math.inf
    errors = sum(s.failed for s in samples) / len(samples)
    ok = [s.latency_s for s in samples if not s.failed]
    return errors, statistics.median(ok) if ok else math.inf


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
        self.mode: RolloutMode | None = None
        self.deployed_at: float | None = None
        self.rolled_back_at: float | None = None
        self.reason: str | None = None
        self._previous: dict[str, str] = {}
        self._samples: deque[_Sample] = deque()
        self._baseline: list[_Sample] = []
        """Blue's answers over the window before a blue-green switch, which green is judged against."""
        self.score_psi: float | None = None
        self._labelled: deque[tuple[float, LabelledAnswer]] = deque()
        self.label_accuracy: dict[str, float] | None = None
        """The candidate's and the reference's accuracy on labelled rows, when last compared."""

    def route_to_canary(self) -> bool:
        return self.status == "active" and random.random() < self.weight

    def record(self, result: AttemptResult) -> None:
        """Every attempt while the analysis is on, with no rollout active too: a blue-green switch needs
        blue's answers from the window before it."""
        if not self._config.enabled:
            return
        now = time.monotonic()
        self._forget_before(now - self._config.window_ms / 1000)
        scored = self._config.score_divergence and result.status == 200
        scores = prediction_scores(result.body) if scored else []
        is_canary = result.replica.group == "canary"
        self._samples.append(_Sample(now, is_canary, result.failed, result.latency_s, scores))

    def record_labelled(self, answer: LabelledAnswer) -> None:
        """An answer whose labels just arrived: judged in the window of its labels' arrival, since labels
        come late and the window is about what the analysis has learnt recently."""
        if self._config.enabled and self._config.labels:
            self._labelled.append((time.monotonic(), answer))

    def _forget_before(self, horizon: float) -> None:
        while self._samples and self._samples[0].at < horizon:
            self._samples.popleft()
        while self._labelled and self._labelled[0][0] < horizon:
            self._labelled.popleft()

    async def load_version(self, replica: ReplicaState, version: str) -> str:
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

    async def _load(self, version: str) -> dict[str, str]:
        """Load `version` on the canary replicas; the versions they served before, by replica."""
        if not self._canary:
            raise CanaryError("no canary_replicas are configured", status=409)
        if self.status == "active" and self.mode == "blue-green":
            raise CanaryError("a blue-green switch is active: promote it or switch back first", status=409)
        return {r.name: await self.load_version(r, version) for r in self._canary}

    def _start(self, mode: RolloutMode, version: str, weight: float, previous: dict[str, str]) -> None:
        if self.status != "active":
            self._previous = previous
        self.mode, self.version, self.weight, self.status = mode, version, weight, "active"
        self.deployed_at, self.rolled_back_at, self.reason = time.time(), None, None
        self._samples.clear()
        self.score_psi = None
        self.label_accuracy = None

    async def deploy(self, version: str, weight: float) -> None:
        self._start("canary", version, weight, await self._load(version))

    async def switch(self, version: str) -> None:
        """Blue-green: all traffic to green once every green replica is ready with `version`. A green that
        does not get ready in time is restored and the switch refused (503); blue kept all traffic."""
        if self.status == "active":
            raise CanaryError(f"a {self.mode} is active: promote it or roll it back first", status=409)
        previous = await self._load(version)
        try:
            await self._wait_until_ready(version)
        except CanaryError:
            for replica in self._canary:
                await self.load_version(replica, previous[replica.name])
            raise
        self._forget_before(time.monotonic() - self._config.window_ms / 1000)
        self._baseline = [s for s in self._samples if not s.canary]
        self._start("blue-green", version, 1.0, previous)

    async def _wait_until_ready(self, version: str) -> None:
        deadline = time.monotonic() + self._config.green_ready_timeout_ms / 1000
        waiting = list(self._canary)
        while waiting:
            waiting = [r for r in waiting if not await self._ready(r, version)]
            if waiting and time.monotonic() >= deadline:
                names = ", ".join(r.name for r in waiting)
                timeout = self._config.green_ready_timeout_ms
                raise CanaryError(f"green not ready with {version} within {timeout:.0f} ms: {names}", 503)
            if waiting:
                await asyncio.sleep(_READY_POLL_S)

    async def _ready(self, replica: ReplicaState, version: str) -> bool:
        """The replica answers ready, and with `version` loaded."""
        try:
            response = await self._client.get(f"{replica.config.url}/readyz", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.headers.get("x-model-version") == version

    async def promote(self) -> None:
        if self.status != "active" or self.version is None:
            raise CanaryError(f"no active canary to promote (status {self.status})", status=409)
        for replica in self._stable:
            await self.load_version(replica, self.version)
        self.status, self.weight = "promoted", 0.0

    async def rollback(self, reason: str) -> None:
        if self.status != "active":
            raise CanaryError(f"no active canary to roll back (status {self.status})", status=409)
        self.status, self.weight = "rolled_back", 0.0
        self.rolled_back_at, self.reason = time.time(), reason
        self._on_rollback()
        for replica in self._canary:
            await self.load_version(replica, self._previous.get(replica.name, "v1"))

    def verdict(self) -> str | None:
        """Reason to roll back, or None while the candidate looks as good as what it is compared with (or
        data is too thin): a canary with stable over the same window, green with blue before the switch."""
        self._forget_before(time.monotonic() - self._config.window_ms / 1000)
        candidate = [s for s in self._samples if s.canary]
        if self.mode == "blue-green":
            return self._compare(candidate, self._baseline, ("green", "blue before the switch"))
        reference = [s for s in self._samples if not s.canary]
        if len(reference) < self._config.min_requests:
            return None
        return self._compare(candidate, reference, ("canary", "stable"))

    def _compare(self, candidate: list[_Sample], reference: list[_Sample], names: Names) -> str | None:
        """`reference` too thin to judge by (a switch with little traffic before it) leaves the candidate's
        error rate judged against none, and nothing else."""
        if len(candidate) < self._config.min_requests:
            return None
        if len(reference) < self._config.min_requests:
            reference = []
        other = names[1]
        (errors, p50), (other_errors, other_p50) = _summary(candidate), _summary(reference)
        if errors - other_errors > self._config.max_error_rate_delta:
            return f"error rate {errors:.1%} vs {other} {other_errors:.1%} over {len(candidate)} requests"
        if p50 > self._config.max_latency_ratio * other_p50:
            return f"median latency {p50 * 1000:.1f} ms vs {other} {other_p50 * 1000:.1f} ms"
        if self._config.score_divergence and (diverged := self._score_verdict(candidate, reference, names)):
            return diverged
        return self._label_verdict(names) if self._config.labels else None

    def _score_verdict(self, candidate: list[_Sample], reference: list[_Sample], names: Names) -> str | None:
        candidate_scores = [score for sample in candidate for score in sample.scores]
        reference_scores = [score for sample in reference for score in sample.scores]
        if min(len(candidate_scores), len(reference_scores)) < self._config.min_scores:
            return None
        self.score_psi = score_psi(candidate_scores, reference_scores)
        if self.score_psi <= self._config.max_score_psi:
            return None
        answers = sum(bool(sample.scores) for sample in candidate)
        divergence = f"PSI {self.score_psi:.2f} over {answers} {names[0]} answers"
        return f"prediction scores diverge from {names[1]}: {divergence}"

    def _label_verdict(self, names: Names) -> str | None:
        """The candidate's labelled answers (this version's, on the canary replicas) against the stable
        side's. In a blue-green switch every stable answer is blue's from before it, labelled late."""
        labelled = [answer for _, answer in self._labelled]
        candidate = [a for a in labelled if a.canary and a.version == self.version]
        (mine, rows), (theirs, other_rows) = (
            accuracy(candidate),
            accuracy([a for a in labelled if not a.canary]),
        )
        if min(rows, other_rows) < self._config.min_labelled_rows:
            return None
        self.label_accuracy = {"candidate": mine, "reference": theirs}
        if theirs - mine <= self._config.max_accuracy_drop:
            return None
        return f"accuracy on labelled rows {mine:.1%} vs {names[1]} {theirs:.1%} over {rows} {names[0]} rows"

    @property
    def _analysed(self) -> bool:
        """An active rollout the analysis may roll back: blue-green switches only with `blue_green` on."""
        config = self._config
        return config.enabled and self.status == "active" and (self.mode == "canary" or config.blue_green)

    async def run_analysis(self) -> None:
        while True:
            await asyncio.sleep(self._config.interval_ms / 1000)
            if self._analysed and (reason := self.verdict()):
                # The rollback is recorded before the replicas are restored; a replica that cannot be
                # restored right now gets no traffic anyway, since the canary weight is already 0.
                with contextlib.suppress(CanaryError):
                    await self.rollback(f"automated analysis: {reason}")

    def describe(self) -> dict[str, Any]:
        """The rollout's state; a blue-green one also says which colour takes the traffic and when it was
        switched to green and back (the same instants as `deployed_at` and `rolled_back_at`)."""
        blue_green = self.mode == "blue-green"
        return {
            "mode": self.mode,
            "version": self.version,
            "weight": self.weight,
            "status": self.status,
            "deployed_at": self.deployed_at,
            "rolled_back_at": self.rolled_back_at,
            "reason": self.reason,
            "score_psi": self.score_psi,
            "label_accuracy": self.label_accuracy,
            "colour": ("green" if self.status == "active" else "blue") if blue_green else None,
            "switched_at": self.deployed_at if blue_green else None,
            "switched_back_at": self.rolled_back_at if blue_green else None,
        }
