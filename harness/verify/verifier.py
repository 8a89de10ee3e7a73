"""Turn a finished (or interrupted) run into SLO figures, recovery times and expectation verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.scenario.model import Scenario
from harness.verify.expectations import Measurements, evaluate
from harness.verify.fault_response import respond, run_evidence
from harness.verify.mechanisms import evaluate_mechanisms
from harness.verify.probes import evaluate_probe_expectations
from harness.verify.recovery import assess_recovery
from harness.verify.response_times import evaluate_response_times
from harness.verify.results import ExpectationResult, FaultRecord, SloFigures
from harness.verify.windows import FaultWindow, window_slis, with_relative_time


@dataclass
class Verification:
    samples: pd.DataFrame
    windows: pd.DataFrame
    slo: SloFigures
    expectations: list[ExpectationResult]
    traffic_share: dict[str, float]


def _stage_windows(scenario: Scenario) -> tuple[FaultWindow, ...]:
    """The load's stages as windows named by their number (from 1), in seconds since load start."""
    windows, start = [], 0.0
    for number, stage in enumerate(scenario.load.stages or [], 1):
        windows.append(FaultWindow(str(number), start, start + stage.duration))
        start += stage.duration
    return tuple(windows)


def verify(
    scenario: Scenario,
    samples: pd.DataFrame,
    load_started_at: float,
    faults: list[FaultRecord],
    not_sent: int = 0,
    snapshots: Sequence[dict[str, Any]] = (),
    probe_readings: Sequence[dict[str, Any]] = (),
) -> Verification:
    """Fill in each fault's recovery time and response (in place) and evaluate every expectation."""
    duration = scenario.load.duration
    samples = with_relative_time(samples, load_started_at)
    fault_windows = [
        FaultWindow(
            f.name,
            f.applied_at - load_started_at,
            (f.cleared_at - load_started_at) if f.cleared_at is not None else duration,
        )
        for f in faults
        if f.applied_at is not None
    ]
    windows = window_slis(samples, duration, scenario.slo, fault_windows)
    recoveries = {
        w.name: assess_recovery(windows, w.start_s, scenario.slo.recovery_windows, w.end_s)
        for w in fault_windows
    }
    for fault in faults:
        if fault.name in recoveries:
            fault.recovery_s = recoveries[fault.name].seconds
    evidence = run_evidence(samples, windows, snapshots, probe_readings, load_started_at)
    signals = respond(scenario, faults, recoveries, evidence)
    measurements = Measurements(samples, windows, fault_windows, faults, not_sent, _stage_windows(scenario))
    return Verification(
        samples=samples,
        windows=windows,
        slo=slo_figures(scenario, samples, windows),
        expectations=evaluate(scenario, measurements)
        + evaluate_mechanisms(scenario, snapshots, faults, samples, probe_readings, load_started_at)
        + evaluate_probe_expectations(scenario, probe_readings, faults, load_started_at)
        + evaluate_response_times(scenario, faults, signals),
        traffic_share=traffic_share(samples),
    )


def slo_figures(scenario: Scenario, samples: pd.DataFrame, windows: pd.DataFrame) -> SloFigures:
    slo = scenario.slo
    threshold = slo.latency_threshold
    figures = SloFigures(
        availability_target=slo.availability,
        latency_percentile=float(threshold.percentile),  # the SLO's latency is always a percentile
        latency_threshold_ms=threshold.value,
        window_s=slo.window,
        requests=len(samples),
        windows_total=len(windows),
        windows_good=int(windows["good"].sum()),
    )
    if not samples.empty:
        latency = samples["latency_ms"].to_numpy()
        errors = int((samples["ok"] == 0).sum())
        figures.success_ratio = 1 - errors / len(samples)
        figures.latency_p50_ms, figures.latency_p95_ms, figures.latency_p99_ms = (
            float(p) for p in np.percentile(latency, [50, 95, 99])
        )
        allowed = len(samples) * (1 - slo.availability)
        figures.error_budget_burn = errors / allowed if allowed else None
        with_header = samples[samples["attempts"] >= 0]
        figures.mean_attempts = float(with_header["attempts"].mean()) if not with_header.empty else None
    steady = windows[windows["faults"] == ""]
    faulted = windows[windows["faults"] != ""]
    figures.compliance_steady = float(steady["good"].mean()) if not steady.empty else None
    figures.compliance_faulted = float(faulted["good"].mean()) if not faulted.empty else None
    return figures


def traffic_share(samples: pd.DataFrame) -> dict[str, float]:
    """Share per replica of the requests whose answer named it in X-Served-By; {} when none did (a stack
    that does not send the header has no traffic share to report, not a 100% share of "no replica")."""
    served = samples["replica"][samples["replica"] != ""]
    return {str(k): float(v) for k, v in served.value_counts(normalize=True).sort_index().items()}
