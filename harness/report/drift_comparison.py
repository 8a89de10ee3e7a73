"""Drift as sent (the harness's ground truth) beside drift as detected (the stack's polled monitor).

Both are put on the report's time axis (seconds since load start) so a reader sees whether the stack's
monitor saw what was really injected, and how late; the per-feature figures back the plot in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from faults.kinds import category_of
from harness.report.timeline import FaultSpan

DRIFTED_PSI = 0.1
"""PSI above which a feature counts as drifted (the usual "moderate shift" line)."""
MIN_POLLS_OVER = 3
"""Polls the stack's PSI must be over the line for its own scores to count as drift: right after start
its monitor scores a handful of requests, and a single noisy poll over 0.1 there is not drift."""
SENT_COLUMNS = ["start_s", "end_s", "feature", "n", "psi", "ks_stat", "ks_pvalue", "js", "missing"]
"""The drift-truth contract (harness/verify/drift_truth.py): one row per window and feature."""
DETECTED_COLUMNS = ["t_s", "feature", "psi", "ks_pvalue"]


@dataclass(frozen=True)
class AlertPeriod:
    """When the stack's drift alert was seen raised; `since_s` is the stack's own claim of its start."""

    start_s: float
    end_s: float | None
    """None: still raised at the last poll."""
    since_s: float | None


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    max_psi_sent: float | None
    max_psi_detected: float | None
    min_pvalue_sent: float | None
    min_pvalue_detected: float | None
    sent_over_s: float | None
    """First window start whose sent PSI was over DRIFTED_PSI."""
    detected_over_s: float | None
    """First poll whose detected PSI was over DRIFTED_PSI."""
    polls_over: int
    """Polls whose detected PSI was over DRIFTED_PSI."""


@dataclass(frozen=True)
class DriftComparison:
    sent: pd.DataFrame
    """SENT_COLUMNS; empty where no ground truth was computed."""
    detected: pd.DataFrame
    """DETECTED_COLUMNS; empty where the stack reported no scores."""
    features: list[FeatureDrift]
    """The drifted features, in schema order of the ground truth (then the stack's)."""
    missing: dict[str, float]
    """Feature -> largest share of a window's rows sent without it (schema drift, NaNs)."""
    alerts: list[AlertPeriod]
    drift_spans: list[FaultSpan]
    polled: bool
    """Whether the stack's state was polled at all (False: what it detected is unknown)."""


def detected_scores(snapshots: list[dict[str, Any]], origin: float) -> pd.DataFrame:
    rows = [
        (snapshot["polled_at"] - origin, feature, scores.get("psi"), scores.get("ks_pvalue"))
        for snapshot in snapshots
        for feature, scores in (snapshot.get("drift") or {}).get("scores", {}).items()
        if isinstance(scores, dict)
    ]
    frame = pd.DataFrame(rows, columns=DETECTED_COLUMNS)
    return frame.astype({"psi": float, "ks_pvalue": float})


def alert_periods(snapshots: list[dict[str, Any]], origin: float) -> list[AlertPeriod]:
    """Runs of consecutive polls with the alert raised; a poll without it ends the run."""
    periods: list[AlertPeriod] = []
    start: float | None = None
    since: float | None = None
    for snapshot in snapshots:
        drift = snapshot.get("drift") or {}
        t = snapshot["polled_at"] - origin
        if drift.get("alert") and start is None:
            start = t
            claimed = drift.get("alert_since")
            since = claimed - origin if isinstance(claimed, int | float) else None
        elif not drift.get("alert") and start is not None:
            periods.append(AlertPeriod(start, t, since))
            start = None
    if start is not None:
        periods.append(AlertPeriod(start, None, since))
    return periods


def _max(values: pd.Series) -> float | None:
    return None if values.dropna().empty else float(values.max())


def _min(values: pd.Series) -> float | None:
    return None if values.dropna().empty else float(values.min())


def _first_over(times: pd.Series, psi: pd.Series) -> float | None:
    over = times[psi > DRIFTED_PSI]
    return None if over.empty else float(over.min())


def _feature_drift(feature: str, sent: pd.DataFrame, detected: pd.DataFrame) -> FeatureDrift:
    mine = sent[sent["feature"] == feature]
    seen = detected[detected["feature"] == feature]
    return FeatureDrift(
        feature,
        max_psi_sent=_max(mine["psi"]),
        max_psi_detected=_max(seen["psi"]),
        min_pvalue_sent=_min(mine["ks_pvalue"]),
        min_pvalue_detected=_min(seen["ks_pvalue"]),
        sent_over_s=_first_over(mine["start_s"], mine["psi"]),
        detected_over_s=_first_over(seen["t_s"], seen["psi"]),
        polls_over=int((seen["psi"] > DRIFTED_PSI).sum()),
    )


def _drifted(feature: FeatureDrift) -> bool:
    sent = feature.max_psi_sent is not None and feature.max_psi_sent > DRIFTED_PSI
    return sent or feature.polls_over >= MIN_POLLS_OVER


def compare_drift(
    spans: list[FaultSpan],
    snapshots: list[dict[str, Any]] | None,
    drift_truth: pd.DataFrame | None,
    origin: float,
) -> DriftComparison | None:
    """None when there is nothing to show: no drift fault, no drifted feature and no alert."""
    sent = pd.DataFrame(columns=SENT_COLUMNS)
    if drift_truth is not None and not drift_truth.empty:
        sent = drift_truth
    detected = detected_scores(snapshots or [], origin)
    names = list(dict.fromkeys([*sent["feature"], *detected["feature"]]))
    features = [f for f in (_feature_drift(name, sent, detected) for name in names) if _drifted(f)]
    missing = sent.groupby("feature", sort=False)["missing"].max()
    alerts = alert_periods(snapshots or [], origin)
    drift_spans = [s for s in spans if category_of(s.kind) == "data"]
    if not (features or alerts or drift_spans):
        return None
    return DriftComparison(
        sent=sent,
        detected=detected,
        features=features,
        missing={str(name): float(share) for name, share in missing.items() if share > 0},
        alerts=alerts,
        drift_spans=drift_spans,
        polled=bool(snapshots),
    )
