"""Ground truth for drift drills: how far what the load really sent drifted from the baseline, per window.

The input is the load worker's features.csv (every instance sent, by intended send time); the baseline
is a large sample drawn from the feature schema, so the numbers say what a perfect drift monitor would
have seen and a report can put them next to what the stack's monitor said.

Per window and feature:
- numeric: PSI over 10 bins cut at the baseline's deciles (outer bins open, so out-of-range values land
  in the end bins), two-sample KS statistic and p-value (scipy), Jensen–Shannon distance of the binned
  distributions (scipy, base 2: 0 = identical, 1 = disjoint);
- categorical: PSI and Jensen–Shannon over category frequencies, with one extra bucket for values the
  schema does not know; KS is undefined (NaN).
Missing values (null, renamed or dropped keys: empty cells) are left out of the distributions and
reported as the `missing` fraction of the window's rows; `n` counts all rows sent in the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from harness.load.payloads import sample_columns

DRIFT_COLUMNS = ["start_s", "end_s", "feature", "n", "missing", "psi", "ks_stat", "ks_pvalue", "js"]

BASELINE_ROWS = 20_000
MIN_WINDOW_ROWS = 100
"""Fewer rows make PSI and KS mostly noise; windows are widened (in whole `window_s` steps) to get these."""
PSI_BINS = 10
PSI_EPSILON = 1e-4
"""Stands in for an empty bin's share, so PSI stays finite when a bin is empty on one side."""
_BASELINE_STREAM = 0xBA5E1
"""Mixed into the seed: the baseline sample must not share random numbers with the rows the load sent."""


def _psi(actual: np.ndarray, expected: np.ndarray) -> float:
    """Population stability index of two share vectors (each summing to 1)."""
    a = np.maximum(actual, PSI_EPSILON)
    e = np.maximum(expected, PSI_EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def _shares(counts: np.ndarray) -> np.ndarray:
    return counts / counts.sum()


class _NumericBaseline:
    def __init__(self, values: np.ndarray) -> None:
        self.values = np.sort(values)
        deciles = np.quantile(self.values, np.linspace(0, 1, PSI_BINS + 1)[1:-1])
        self.edges = np.unique(deciles)  # clipped features repeat a decile at the clip point
        self.shares = _shares(self._counts(self.values))

    def _counts(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(self.edges, values, side="right"), minlength=len(self.edges) + 1)

    def compare(self, values: pd.Series) -> tuple[float, float, float, float]:
        numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
        if len(numbers) == 0:
            return (math.nan,) * 4
        shares = _shares(self._counts(numbers))
        ks = ks_2samp(numbers, self.values)
        return _psi(shares, self.shares), float(ks.statistic), float(ks.pvalue), _js(shares, self.shares)


class _CategoricalBaseline:
    def __init__(self, categories: Sequence[Any], values: Sequence[Any]) -> None:
        self.categories = [str(category) for category in categories]
        self.shares = _shares(self._counts(pd.Series(values)))

    def _counts(self, values: pd.Series) -> np.ndarray:
        """Counts per schema category, plus one bucket for values the schema does not have."""
        known = pd.Categorical(values.astype(str), categories=self.categories)
        counts = np.bincount(known.codes + 1, minlength=len(self.categories) + 1)  # code -1: unknown
        return np.roll(counts, -1)

    def compare(self, values: pd.Series) -> tuple[float, float, float, float]:
        present = values.dropna()
        if len(present) == 0:
            return (math.nan,) * 4
        shares = _shares(self._counts(present))
        return _psi(shares, self.shares), math.nan, math.nan, _js(shares, self.shares)


def _js(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(jensenshannon(actual, expected, base=2))


def _baselines(
    features: Sequence[Mapping[str, Any]], seed: int
) -> dict[str, _NumericBaseline | _CategoricalBaseline]:
    sample = sample_columns(features, np.random.default_rng([seed, _BASELINE_STREAM]), BASELINE_ROWS)
    return {
        feature["name"]: _NumericBaseline(np.asarray(sample[feature["name"]], dtype=float))
        if feature["type"] == "numeric"
        else _CategoricalBaseline(feature["categories"], sample[feature["name"]])
        for feature in features
    }


def effective_window_s(t_rel: pd.Series, window_s: float) -> float:
    """`window_s`, or the smallest multiple of it that holds MIN_WINDOW_ROWS rows at the run's average
    rate, so that windows stay aligned with the SLO windows and the statistics stay meaningful."""
    span = float(t_rel.max() - t_rel.min()) if len(t_rel) > 1 else 0.0
    if span <= 0:
        return window_s
    rows_per_s = len(t_rel) / span
    return window_s * max(1, math.ceil(MIN_WINDOW_ROWS / rows_per_s / window_s))


def drift_over_time(
    features: pd.DataFrame,
    baseline: list[dict[str, Any]],
    load_started_at: float,
    window_s: float,
    seed: int,
) -> pd.DataFrame:
    """One row per (window, baseline feature): `DRIFT_COLUMNS`, windows from the load's start.

    `features` is `read_features(features.csv)`; `baseline` is the feature schema the load drew from
    (FEATURE_SCHEMA-like); `seed` fixes the baseline sample. Windows: see `effective_window_s`; a window
    in which nothing was sent has no rows (there is nothing to measure).
    """
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    baselines = _baselines(baseline, seed)
    t_rel = features["t_intended"].astype(float) - load_started_at
    sent = features[t_rel >= 0].reindex(columns=list(baselines))  # a column never logged: all missing
    t_rel = t_rel[t_rel >= 0]
    if sent.empty:
        return pd.DataFrame({column: [] for column in DRIFT_COLUMNS})
    window = effective_window_s(t_rel, window_s)
    rows = []
    for number, rows_in_window in sent.groupby((t_rel // window).astype(int)):
        for name, reference in baselines.items():
            values = rows_in_window[name]
            psi, ks_stat, ks_pvalue, js = reference.compare(values)
            rows.append({
                "start_s": number * window, "end_s": (number + 1) * window, "feature": name,
                "n": len(values), "missing": float(values.isna().mean()),
                "psi": psi, "ks_stat": ks_stat, "ks_pvalue": ks_pvalue, "js": js,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)
