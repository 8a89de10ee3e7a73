"""Feature-drift monitor: live request rows vs the training baseline, per feature.

Numeric features: PSI over 10 bins cut at the baseline's quantiles, plus the two-sample KS test
(asymptotic p-value).
Categorical features: PSI over category frequencies. The baseline is a large fixed-seed sample of
FEATURE_SCHEMA (the same distribution the model was trained on), so scores are reproducible.
An alert needs drift to persist for `sustained_ms`, so one odd burst of rows does not page anyone.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from typing import Any

import numpy as np

from stack.config import DriftConfig
from stack.model import CATEGORICAL_FEATURES, FEATURE_SCHEMA, NUMERIC_FEATURES, finite_number, sample_rows

_BASELINE_SEED = 20_240_611
_BASELINE_ROWS = 5000
_PSI_BINS = 10
_PSI_FLOOR = 1e-4  # keeps empty bins from producing infinite PSI


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two histograms of proportions."""
    e = np.maximum(expected, _PSI_FLOOR)
    a = np.maximum(actual, _PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_two_sample(live: np.ndarray, baseline_sorted: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and asymptotic p-value (Numerical Recipes' kstwo/probks).

    Own implementation instead of scipy.stats.ks_2samp: importing scipy.stats costs the gateway about
    a second of start-up, and the asymptotic p-value is accurate for the window sizes used here.
    """
    live_sorted = np.sort(live)
    points = np.concatenate([live_sorted, baseline_sorted])
    cdf_live = np.searchsorted(live_sorted, points, side="right") / len(live_sorted)
    cdf_base = np.searchsorted(baseline_sorted, points, side="right") / len(baseline_sorted)
    statistic = float(np.max(np.abs(cdf_live - cdf_base)))
    effective_n = math.sqrt(
        len(live_sorted) * len(baseline_sorted) / (len(live_sorted) + len(baseline_sorted))
    )
    lam = (effective_n + 0.12 + 0.11 / effective_n) * statistic
    if lam < 0.2:
        return statistic, 1.0
    terms = [2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101)]
    return statistic, float(min(1.0, max(0.0, sum(terms))))


class _NumericBaseline:
    def __init__(self, values: np.ndarray) -> None:
        self.values = np.sort(values)
        self.edges = np.unique(np.quantile(values, np.linspace(0, 1, _PSI_BINS + 1)[1:-1]))
        self.proportions = self._histogram(self.values)

    def _histogram(self, values: np.ndarray) -> np.ndarray:
        counts = np.bincount(np.searchsorted(self.edges, values, side="right"), minlength=len(self.edges) + 1)
        return counts / max(len(values), 1)

    def score(self, live: np.ndarray) -> dict[str, float]:
        statistic, pvalue = ks_two_sample(live, self.values)
        return {"psi": psi(self.proportions, self._histogram(live)), "ks": statistic, "ks_pvalue": pvalue}


class _CategoricalBaseline:
    def __init__(self, categories: list[str], values: list[str]) -> None:
        self.categories = categories
        self.proportions = self._histogram(values)

    def _histogram(self, values: list[str]) -> np.ndarray:
        counts = np.array([sum(v == c for v in values) for c in self.categories], dtype=float)
        return counts / max(len(values), 1)

    def score(self, live: list[str]) -> dict[str, float]:
        return {"psi": psi(self.proportions, self._histogram(live))}


class DriftMonitor:
    def __init__(self, config: DriftConfig) -> None:
        self._config = config
        rows = sample_rows(np.random.default_rng(_BASELINE_SEED), _BASELINE_ROWS)
        self._numeric = {
            f["name"]: _NumericBaseline(np.array([r[f["name"]] for r in rows], dtype=float))
            for f in NUMERIC_FEATURES
        }
        self._categorical = {
            f["name"]: _CategoricalBaseline(f["categories"], [r[f["name"]] for r in rows])
            for f in CATEGORICAL_FEATURES
        }
        self._live: dict[str, deque[Any]] = {f["name"]: deque(maxlen=config.window) for f in FEATURE_SCHEMA}
        self._observed = 0
        self._evaluated_at_count = 0
        self._drifting_since: float | None = None
        self.scores: dict[str, dict[str, float]] = {}
        self.alert = False
        self.alert_since: float | None = None

    def observe(self, payload: Any) -> None:
        """Take the valid feature values of a request; malformed parts are the validator's business."""
        if not self._config.enabled or not isinstance(payload, dict):
            return
        rows = payload.get("instances")
        if not isinstance(rows, list):
            return
        for row in rows[: self._config.window]:
            if not isinstance(row, dict):
                continue
            self._observed += 1
            for name in self._numeric:
                number = finite_number(row.get(name))
                if number is not None:
                    self._live[name].append(number)
            for name in self._categorical:
                value = row.get(name)
                if isinstance(value, str):
                    self._live[name].append(value)

    def _is_drifting(self, score: dict[str, float]) -> bool:
        beyond_psi = score["psi"] > self._config.psi_threshold
        return beyond_psi and score.get("ks_pvalue", 0.0) < self._config.ks_pvalue

    def _scores(self, live: dict[str, list[Any]]) -> dict[str, dict[str, float]]:
        scores: dict[str, dict[str, float]] = {}
        for name, baseline in self._numeric.items():
            if len(live[name]) >= self._config.min_samples:
                scores[name] = baseline.score(np.array(live[name], dtype=float))
        for name, categorical in self._categorical.items():
            if len(live[name]) >= self._config.min_samples:
                scores[name] = categorical.score(live[name])
        return scores

    async def evaluate(self) -> None:
        """Re-score the window when rows arrived — off the event loop (about 10 ms of numpy/scipy), so
        proxied requests are not stalled behind it — then update the sustained-alert state."""
        if self._observed != self._evaluated_at_count:
            self._evaluated_at_count = self._observed
            snapshot = {name: list(values) for name, values in self._live.items()}
            self.scores = await asyncio.to_thread(self._scores, snapshot)
        now = time.time()
        if not any(self._is_drifting(score) for score in self.scores.values()):
            self._drifting_since, self.alert, self.alert_since = None, False, None
            return
        self._drifting_since = self._drifting_since or now
        if not self.alert and now - self._drifting_since >= self._config.sustained_ms / 1000:
            self.alert, self.alert_since = True, now

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._config.interval_ms / 1000)
            if self._config.enabled:
                await self.evaluate()

    def describe(self) -> dict[str, Any]:
        return {
            "enabled": self._config.enabled,
            "alert": self.alert,
            "alert_since": self.alert_since,
            "scores": self.scores,
        }
