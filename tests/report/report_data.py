"""Synthetic runs for report tests: a 60 s drill with a GPU node kill and a latency fault.

The samples follow what the runner records (one row per request) and the windows what the verifier
derives from them, so reports are exercised on realistic shapes without starting a stack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.verify.results import ExpectationResult, FaultRecord, RunSummary, SloFigures

LOAD_START = 1_700_000_000.0
DURATION_S = 60.0
RATE = 40.0
REPLICAS = ["cpu-0", "cpu-1", "gpu-0", "gpu-1"]
KILL_AT, RESTART_AT, RECOVERED_AFTER = 20.0, 35.0, 4.0
LATENCY_AT, LATENCY_UNTIL = 40.0, 50.0
THRESHOLD_MS = 250.0


def make_samples(seed: int = 7) -> pd.DataFrame:
    """gpu-1 is killed at 20 s: its requests fail or fail over (2 attempts) until the gateway ejects it at
    24 s; it is back at 35 s. cpu-0 gets +300 ms from 40 s to 50 s."""
    rng = np.random.default_rng(seed)
    t_rel = np.arange(0, DURATION_S, 1 / RATE)
    replica = np.array(REPLICAS)[np.arange(len(t_rel)) % len(REPLICAS)]
    latency = rng.gamma(4.0, 8.0, len(t_rel))
    ok = np.ones(len(t_rel), dtype=int)
    error = np.full(len(t_rel), "", dtype=object)
    attempts = np.ones(len(t_rel), dtype=int)
    killed = (t_rel >= KILL_AT) & (t_rel < RESTART_AT) & (replica == "gpu-1")
    before_ejection = killed & (t_rel < KILL_AT + RECOVERED_AFTER)
    failed = before_ejection & (rng.random(len(t_rel)) < 0.5)
    ok[failed] = 0
    error[failed] = np.where(rng.random(failed.sum()) < 0.7, "connect", "timeout")
    attempts[before_ejection] = 3
    replica = replica.astype(object)
    replica[killed & ~failed] = "gpu-0"
    replica[failed] = ""
    slow = (t_rel >= LATENCY_AT) & (t_rel < LATENCY_UNTIL) & (replica == "cpu-0")
    latency[slow] += 300.0
    latency[failed & (error == "timeout")] = 5000.0
    degraded = (slow & (rng.random(len(t_rel)) < 0.3)).astype(int)
    return pd.DataFrame(
        {
            "t_intended": LOAD_START + t_rel,
            "t_start": LOAD_START + t_rel + 0.001,
            "t_rel": t_rel,
            "latency_ms": latency,
            "status": np.where(ok == 1, 200, 0),
            "ok": ok,
            "error": error,
            "replica": replica,
            "version": np.where(replica == "", "", "v1"),
            "attempts": attempts,
            "degraded": degraded,
            "late": np.zeros(len(t_rel), dtype=int),
        }
    )


def make_windows(samples: pd.DataFrame, window_s: float = 1.0) -> pd.DataFrame:
    rows = []
    for start in np.arange(0, DURATION_S, window_s):
        chunk = samples[(samples["t_rel"] >= start) & (samples["t_rel"] < start + window_s)]
        success = chunk["ok"].mean() if len(chunk) else float("nan")
        p99 = chunk["latency_ms"].quantile(0.99) if len(chunk) else float("nan")
        faults = []
        if KILL_AT <= start < RESTART_AT:
            faults.append("kill-gpu")
        if LATENCY_AT <= start < LATENCY_UNTIL:
            faults.append("slow-cpu")
        rows.append(
            {
                "start_s": start,
                "end_s": start + window_s,
                "requests": len(chunk),
                "ok": int(chunk["ok"].sum()),
                "success_ratio": success,
                "latency_ms": p99,
                "p50_ms": chunk["latency_ms"].median() if len(chunk) else float("nan"),
                "p99_ms": p99,
                "good": bool(success >= 0.99 and p99 < THRESHOLD_MS),
                "faults": ",".join(faults),
            }
        )
    return pd.DataFrame(rows)


def make_faults(latency_recovered: bool) -> list[FaultRecord]:
    return [
        FaultRecord(
            name="kill-gpu",
            kind="node_kill",
            targets=["gpu-1"],
            planned_at_s=KILL_AT,
            planned_until_s=RESTART_AT,
            applied_at=LOAD_START + KILL_AT + 0.3,
            cleared_at=LOAD_START + RESTART_AT + 0.2,
            recovery_s=RECOVERED_AFTER,
            params={"signal": "SIGKILL", "restart_after": "15s"},
        ),
        FaultRecord(
            name="slow-cpu",
            kind="latency",
            targets=["cpu-0"],
            planned_at_s=LATENCY_AT,
            planned_until_s=LATENCY_UNTIL,
            applied_at=LOAD_START + LATENCY_AT + 0.01,
            cleared_at=LOAD_START + LATENCY_UNTIL + 0.01,
            recovery_s=LATENCY_UNTIL - LATENCY_AT + 1.0 if latency_recovered else None,
            params={"latency": "300ms"},
        ),
    ]


def make_events(faults: list[FaultRecord]) -> list[dict[str, object]]:
    events: list[dict[str, object]] = [
        {"t": LOAD_START - 2.0, "event": "run_started"},
        {"t": LOAD_START, "event": "load_started", "details": {"rate": RATE}},
        {"t": LOAD_START + DURATION_S, "event": "load_stopped"},
        {"t": LOAD_START + DURATION_S + 0.5, "event": "run_finished"},
    ]
    for fault in faults:
        common = {"fault": fault.name, "kind": fault.kind, "targets": fault.targets}
        events.append({"t": fault.applied_at, "event": "fault_applied", **common})
        events.append({"t": fault.cleared_at, "event": "fault_cleared", **common})
    return events


def make_slo(samples: pd.DataFrame) -> SloFigures:
    slo = SloFigures(
        availability_target=0.99, latency_percentile=99.0, latency_threshold_ms=THRESHOLD_MS, window_s=1.0
    )
    if samples.empty:
        return slo
    slo.requests = len(samples)
    slo.success_ratio = float(samples["ok"].mean())
    slo.latency_p50_ms = float(samples["latency_ms"].median())
    slo.latency_p95_ms = float(samples["latency_ms"].quantile(0.95))
    slo.latency_p99_ms = float(samples["latency_ms"].quantile(0.99))
    slo.windows_total, slo.windows_good = 60, 52
    slo.compliance_steady, slo.compliance_faulted = 1.0, 0.6
    slo.error_budget_burn = 0.45
    slo.mean_attempts = float(samples["attempts"].mean())
    return slo


def make_summary(
    scenario: str,
    expectations: list[ExpectationResult],
    faults: list[FaultRecord],
    samples: pd.DataFrame,
    incomplete_reason: str | None = None,
) -> RunSummary:
    passed = all(e.passed for e in expectations)
    verdict = "incomplete" if incomplete_reason else "pass" if passed else "fail"
    served = samples["replica"] if not samples.empty else pd.Series(dtype=str)
    share = served.replace("", "(no replica)").value_counts(normalize=True)
    return RunSummary(
        scenario=scenario,
        description="GPU node kill & latency fault",
        scenario_file=f"scenarios/{scenario}.yaml",
        run_dir=f"reports/{scenario}-20231114T221320Z",
        backend="local",
        seed=42,
        started_at=LOAD_START - 3.0,
        load_started_at=None if samples.empty else LOAD_START,
        finished_at=LOAD_START + DURATION_S + 1.0,
        verdict=verdict,
        incomplete_reason=incomplete_reason,
        slo=make_slo(samples),
        expectations=expectations,
        faults=faults,
        load={"rate": RATE, "duration": DURATION_S, "rows": 4},
        traffic_share={str(k): float(v) for k, v in dict(share).items()},
    )


def expectation(name: str, passed: bool, explanation: str) -> ExpectationResult:
    return ExpectationResult(
        name=name,
        metric="recovery_time",
        observed=4.0 if passed else None,
        threshold="max 5s",
        unit="s",
        passed=passed,
        explanation=explanation,
    )
