"""Per-window SLIs from per-request samples.

Each request is assigned to the window of its *intended* send time (equal to its start time in closed-model
load), so a request that hangs for ten seconds counts against the window in which it should have been served,
not the one in which it finally gave up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.scenario.model import SloSpec
from harness.verify.quality import wrong_answers

# `ok` counts requests served as the SLO means it: 2xx, not from the fallback model unless
# `slo.degraded_is_good`, and not wrong against the ground truth where `slo.wrong_is_bad`;
# `success_ratio` is ok / requests.
WINDOW_COLUMNS = [
    "start_s",
    "end_s",
    "requests",
    "ok",
    "success_ratio",
    "latency_ms",
    "p50_ms",
    "p99_ms",
    "good",
    "faults",
]


@dataclass(frozen=True)
class FaultWindow:
    """When a fault was really active, in seconds since load start."""

    name: str
    start_s: float
    end_s: float

    def covers(self, t: np.ndarray | pd.Series) -> np.ndarray:
        return np.asarray((t >= self.start_s) & (t < self.end_s))


def with_relative_time(samples: pd.DataFrame, load_started_at: float) -> pd.DataFrame:
    """Add `t_rel`, seconds since the load started, measured from each request's intended send time."""
    samples = samples.copy()
    samples["t_rel"] = samples["t_intended"] - load_started_at
    return samples


def window_slis(
    samples: pd.DataFrame, duration_s: float, slo: SloSpec, fault_windows: list[FaultWindow]
) -> pd.DataFrame:
    """One row per SLO window over [0, duration_s); an empty window is not good (no evidence of service).

    Requests intended before the load started or after its last window belong to no window."""
    count = max(1, int(np.ceil(duration_s / slo.window - 1e-9)))
    latency_slo = slo.latency_threshold
    index = samples["t_rel"] // slo.window
    served = samples["ok"] == 1
    if not slo.degraded_is_good:
        served &= samples["degraded"] != 1  # no X-Degraded header (-1): nothing says it was degraded
    if slo.wrong_is_bad:
        served &= ~wrong_answers(samples)
    rows = []
    for i in range(count):
        start, end = i * slo.window, (i + 1) * slo.window
        in_window = index == i
        requests = int(in_window.sum())
        ok = int(served[in_window].sum())
        latency = samples["latency_ms"][in_window].to_numpy()
        if requests:
            p_slo, p50, p99 = np.percentile(latency, [latency_slo.percentile, 50, 99])
            success = ok / requests
        else:
            p_slo = p50 = p99 = success = np.nan
        good = bool(requests and success >= slo.availability and latency_slo.holds(p_slo))
        active = ",".join(w.name for w in fault_windows if w.start_s < end and w.end_s > start)
        rows.append([start, end, requests, ok, success, p_slo, p50, p99, good, active])
    return pd.DataFrame(rows, columns=WINDOW_COLUMNS)
