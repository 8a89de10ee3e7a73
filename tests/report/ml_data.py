"""A synthetic ML drill on top of report_data's run: a bad canary, a GPU node kill and an income shift.

The shapes follow what the runner records: deploy faults' details carry the gateway's canary state, the
stack transitions it polled are merged into the events, snapshots are `/admin/state` every 0.25 s, and
the drift truth follows harness/verify/drift_truth.py's columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.verify.results import FaultRecord
from tests.report.report_data import DURATION_S, LOAD_START, make_events, make_faults, make_samples

DEPLOY_AT, ROLLED_BACK_AT, ROLLBACK_SEEN_AT = 10.0, 13.0, 13.2
CANARY_WEIGHT = 0.2
ROLLBACK_REASON = "automated analysis: error rate 30.0% vs stable 0.0% over 40 requests"
BREAKERS = [
    (21.0, "breaker_open"),
    (26.0, "breaker_half_open"),
    (26.5, "breaker_open"),
    (36.0, "breaker_closed"),
]
DRIFT_AT, DRIFT_UNTIL = 40.0, 50.0
ALERT_FROM, ALERT_SINCE, ALERT_UNTIL = 42.0, 41.9, 51.0
SENT_PSI, DETECTED_PSI, CALM_PSI = 3.0, 2.5, 0.01
MISSING_SHARE = 0.3


def make_ml_samples(seed: int = 7) -> pd.DataFrame:
    """report_data's samples with a fifth of the answered requests served by v2-bad until the rollback."""
    samples = make_samples(seed)
    rng = np.random.default_rng(seed)
    canary = (
        (samples["t_rel"] >= DEPLOY_AT)
        & (samples["t_rel"] < ROLLED_BACK_AT)
        & (samples["version"] == "v1")
        & (rng.random(len(samples)) < CANARY_WEIGHT)
    )
    samples.loc[canary, "version"] = "v2-bad"
    return samples


def make_ml_faults() -> list[FaultRecord]:
    kill, _ = make_faults(latency_recovered=True)
    kill.kind = "gpu-node-kill"
    deploy = FaultRecord(
        "bad-canary",
        "bad-deploy",
        [],
        planned_at_s=DEPLOY_AT,
        planned_until_s=None,
        applied_at=LOAD_START + DEPLOY_AT + 0.05,
        params={"weight": CANARY_WEIGHT},
    )
    drift = FaultRecord(
        "income-shift",
        "data-drift",
        [],
        planned_at_s=DRIFT_AT,
        planned_until_s=DRIFT_UNTIL,
        applied_at=LOAD_START + DRIFT_AT,
        cleared_at=LOAD_START + DRIFT_UNTIL,
        params={"transform": "mean-shift", "features": ["income_k"], "sigma": 2.0},
    )
    return [kill, deploy, drift]


def _canary_state(status: str, rolled_back_at: float | None, reason: str | None) -> dict[str, Any]:
    return {
        "version": "v2-bad",
        "weight": CANARY_WEIGHT if status == "active" else 0.0,
        "status": status,
        "deployed_at": LOAD_START + DEPLOY_AT,
        "rolled_back_at": rolled_back_at,
        "reason": reason,
    }


def make_ml_events(faults: list[FaultRecord]) -> list[dict[str, Any]]:
    """The deploy's applied event carries the gateway's answer; the stack's own times differ from the
    harness's observations (deployed_at 50 ms before fault_applied, rolled_back_at 200 ms before the poll)."""
    events = make_events(faults)
    for event in events:
        if event.get("fault") == "bad-canary" and event["event"] == "fault_applied":
            event["details"] = [{"canary": _canary_state("active", None, None)}]
    events.append(
        {
            "t": LOAD_START + ROLLBACK_SEEN_AT,
            "event": "canary_rolled_back",
            "details": _canary_state("rolled_back", LOAD_START + ROLLED_BACK_AT, ROLLBACK_REASON),
        }
    )
    events += [{"t": LOAD_START + t, "event": name, "node": "gpu-1"} for t, name in BREAKERS]
    return [e for e in events if e["t"] is not None]


def _drifting(t_s: float) -> bool:
    return DRIFT_AT <= t_s < DRIFT_UNTIL


def make_snapshots() -> list[dict[str, Any]]:
    snapshots = []
    for t_s in np.arange(-1.0, DURATION_S, 0.25):
        alert = ALERT_FROM <= t_s < ALERT_UNTIL
        income = DETECTED_PSI if DRIFT_AT + 1.0 <= t_s < DRIFT_UNTIL + 0.5 else CALM_PSI
        scores = {
            "income_k": {"psi": income, "ks": 0.4, "ks_pvalue": 1e-40 if income > 1 else 0.6},
            "age": {"psi": CALM_PSI, "ks": 0.02, "ks_pvalue": 0.7},
            "employment": {"psi": CALM_PSI},
        }
        snapshots.append(
            {
                "polled_at": LOAD_START + t_s,
                "time": LOAD_START + t_s + 0.001,
                "profile": "resilient",
                "replicas": [],
                "canary": {},
                "drift": {
                    "alert": alert,
                    "alert_since": LOAD_START + ALERT_SINCE if alert else None,
                    "scores": scores if t_s >= 0 else {},
                },
                "counters": {},
            }
        )
    return snapshots


def make_drift_truth(drifting: bool = True) -> pd.DataFrame:
    rows = []
    for start in np.arange(0.0, DURATION_S, 1.0):
        shifted = drifting and _drifting(start)
        for feature, psi, pvalue, missing in (
            ("age", CALM_PSI, 0.6, 0.0),
            ("income_k", SENT_PSI if shifted else CALM_PSI, 1e-30 if shifted else 0.6, 0.0),
            ("employment", CALM_PSI, float("nan"), MISSING_SHARE if shifted else 0.0),
        ):
            rows.append(
                {
                    "start_s": start,
                    "end_s": start + 1.0,
                    "feature": feature,
                    "n": 40,
                    "missing": missing,
                    "psi": psi,
                    "ks_stat": 0.1,
                    "ks_pvalue": pvalue,
                    "js": 0.1,
                }
            )
    return pd.DataFrame(rows)
