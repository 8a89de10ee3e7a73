"""Per-window series derived from the raw samples for the plots the verifier's windows do not cover.

The verifier's windows carry SLIs (success ratio, percentiles); who served the traffic, which errors
occurred and how many attempts each request took are only in the samples, so they are binned here on
the same grid (the SLO window) to line up with the SLI plots.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NO_REPLICA = "(no replica)"
"""Label for requests no replica answered (connection failures, gateway errors)."""
NO_VERSION = "(no version)"
"""Label for requests no model version answered (their response carried no version header)."""


def window_starts(samples: pd.DataFrame, window_s: float) -> pd.Series:
    """Start offset of the SLO window each sample falls in, aligned to load start."""
    return np.floor(samples["t_rel"] / window_s) * window_s


def _labels(samples: pd.DataFrame, column: str, missing: str) -> pd.Series:
    return samples[column].fillna("").astype(str).replace("", missing)


def _replica_labels(samples: pd.DataFrame) -> pd.Series:
    return _labels(samples, "replica", NO_REPLICA)


def _version_labels(samples: pd.DataFrame) -> pd.Series:
    return _labels(samples, "version", NO_VERSION)


def _error_classes(failed: pd.DataFrame) -> pd.Series:
    """A failed request with no recorded class still counts, as `other`."""
    return failed["error"].fillna("").astype(str).replace("", "other")


def error_rates_by_class(samples: pd.DataFrame, window_s: float) -> pd.DataFrame:
    """Rows: window start; columns: error class; values: fraction of that window's requests."""
    starts = window_starts(samples, window_s)
    failed = samples["ok"] == 0
    counts = pd.crosstab(starts[failed], _error_classes(samples[failed]))
    counts = counts.reindex(sorted(starts.unique()), fill_value=0)
    totals = starts.value_counts().sort_index()
    return counts.div(totals, axis=0)


def _window_shares(samples: pd.DataFrame, window_s: float, labels: pd.Series, missing: str) -> pd.DataFrame:
    """Rows: window start; columns: label (sorted, `missing` last); values: fraction of that window."""
    shares = pd.crosstab(window_starts(samples, window_s), labels, normalize="index")
    ordered = sorted(c for c in shares.columns if c != missing)
    return shares[ordered + ([missing] if missing in shares.columns else [])]


def replica_shares(samples: pd.DataFrame, window_s: float) -> pd.DataFrame:
    """Rows: window start; columns: replica; values: fraction of that window's requests it served."""
    return _window_shares(samples, window_s, _replica_labels(samples), NO_REPLICA)


def version_shares(samples: pd.DataFrame, window_s: float) -> pd.DataFrame:
    """Rows: window start; columns: model version; values: fraction of that window's requests it answered."""
    return _window_shares(samples, window_s, _version_labels(samples), NO_VERSION)


def degraded_share(samples: pd.DataFrame, window_s: float) -> pd.Series:
    """Fraction of each window's responses answered by the gateway's fallback model, among those with an
    X-Degraded header (-1: none)."""
    reported = samples[samples["degraded"] >= 0]
    return (reported["degraded"] == 1).groupby(window_starts(reported, window_s)).mean()


def attempts_per_window(samples: pd.DataFrame, window_s: float) -> pd.DataFrame:
    """Mean and max upstream attempts per request: a retry storm shows as max >> mean >> 1.

    Responses without an X-Attempts header (attempts -1) say nothing about retries and are left out."""
    reported = samples[samples["attempts"] >= 0]
    grouped = reported["attempts"].groupby(window_starts(reported, window_s))
    return pd.DataFrame({"mean": grouped.mean(), "max": grouped.max()})


def _counts(labels: pd.Series) -> dict[str, int]:
    return {str(name): int(count) for name, count in sorted(labels.value_counts().items())}


def requests_per_replica(samples: pd.DataFrame) -> dict[str, int]:
    return {} if samples.empty else _counts(_replica_labels(samples))


def requests_per_version(samples: pd.DataFrame) -> dict[str, int]:
    return {} if samples.empty else _counts(_version_labels(samples))


def error_class_counts(samples: pd.DataFrame) -> dict[str, int]:
    if samples.empty:
        return {}
    counts = _error_classes(samples[samples["ok"] == 0]).value_counts()
    return {str(name): int(count) for name, count in counts.items()}


def missed_slo_spans(windows: pd.DataFrame) -> list[tuple[float, float, int]]:
    """Consecutive windows that missed the SLO merged into (start_s, end_s, window count) spans."""
    spans: list[tuple[float, float, int]] = []
    if windows.empty:
        return spans
    for row in windows.sort_values("start_s").itertuples():
        if bool(row.good):
            continue
        if spans and abs(spans[-1][1] - row.start_s) < 1e-9:
            start, _, count = spans[-1]
            spans[-1] = (start, row.end_s, count + 1)
        else:
            spans.append((row.start_s, row.end_s, 1))
    return spans
